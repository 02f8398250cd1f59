// Placeholder entry point; the example's implementation lands in a follow-up commit.
System.Console.WriteLine("PingPong example");
