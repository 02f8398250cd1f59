using System.Text;

namespace Wireframe.Examples.Resp;

/// <summary>A command the server knows: its name, message id and arity, as in Redis's command table.</summary>
public sealed class RespCommandInfo
{
    /// <summary>Initializes a new instance of the <see cref="RespCommandInfo"/> class.</summary>
    /// <param name="name">The name in lower case, as Redis quotes it in errors.</param>
    /// <param name="id">The message id.</param>
    /// <param name="arity">Redis arity: N means exactly N arguments (name included), -N at least N.</param>
    public RespCommandInfo(string name, uint id, int arity)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        NameBytes = Encoding.ASCII.GetBytes(name);
        Id = id;
        Arity = arity;
        WrongArity = RespFrame.Error($"ERR wrong number of arguments for '{name}' command");
    }

    public string Name { get; }

    public uint Id { get; }

    public int Arity { get; }

    /// <summary>Gets the error for a call with the wrong number of arguments, built once.</summary>
    public RespFrame WrongArity { get; }

    internal byte[] NameBytes { get; }

    /// <summary>Checks an argument count (name included) against the arity.</summary>
    /// <param name="count">The argument count.</param>
    /// <returns>Whether the command accepts it.</returns>
    public bool Accepts(int count) => Arity >= 0 ? count == Arity : count >= -Arity;
}
