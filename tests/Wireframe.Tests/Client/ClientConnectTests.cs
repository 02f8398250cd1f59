using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Wireframe.Client;
using Wireframe.Examples.Echo;
using Wireframe.Hosting;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Connections;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Client;

/// <summary>Connecting: a preamble and its reply, TLS, hooks on every frame, lifecycle hooks.</summary>
public sealed class ClientConnectTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_preamble_goes_first_and_its_reply_is_read_before_any_call()
    {
        await using var server = await TcpTestServer.StartAsync(PreambleApp(reply: true));
        string? greeting = null;
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .UsePreamble("HELLO alice\n"u8.ToArray(), async (input, token) => greeting = await ReadLineAsync(input, token))
            .ConnectAsync("127.0.0.1", server.Port).AsTask().WaitAsync(Safety);

        Assert.Equal("WELCOME alice", greeting);
        Assert.Equal([1, 2], await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1, 2]).AsTask().WaitAsync(Safety));
    }

    [Fact]
    public async Task A_bad_preamble_reply_fails_connecting_with_the_readers_error()
    {
        await using var server = await TcpTestServer.StartAsync(PreambleApp(reply: true));

        InvalidDataException error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
            await WireframeClient.CreateBuilder()
                .UsePreamble("HELLO bob\n"u8.ToArray(), async (input, token) =>
                {
                    string line = await ReadLineAsync(input, token);
                    if (line != "WELCOME alice")
                    {
                        throw new InvalidDataException($"unexpected reply '{line}'");
                    }
                })
                .ConnectAsync("127.0.0.1", server.Port)).WaitAsync(Safety);

        Assert.Equal("unexpected reply 'WELCOME bob'", error.Message);
    }

    [Fact]
    public async Task A_preamble_reply_that_never_comes_times_out_on_the_clients_clock()
    {
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TcpTestServer.StartAsync(PreambleApp(reply: false, received));
        var time = new ManualTimeProvider();
        ValueTask<WireframeClient<Envelope>> connecting = WireframeClient.CreateBuilder()
            .UseTimeProvider(time)
            .Configure(options => options.PreambleTimeout = TimeSpan.FromSeconds(3))
            .UsePreamble("HELLO carol\n"u8.ToArray(), async (input, token) => await ReadLineAsync(input, token))
            .ConnectAsync("127.0.0.1", server.Port);

        // The server has the preamble, so the client armed its preamble timer before writing it and now waits for a reply.
        await received.Task.WaitAsync(Safety);
        Assert.False(connecting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(3));

        TimeoutException timeout = await Assert.ThrowsAsync<TimeoutException>(() => connecting.AsTask().WaitAsync(Safety));
        Assert.Contains("WireframeClientOptions.PreambleTimeout", timeout.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hooks_see_every_frame_in_registration_order_and_lifecycle_hooks_run()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        var order = new List<string>();
        var disconnected = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .BeforeSend((ref Envelope frame) =>
            {
                order.Add("send 1");
                frame = frame with { Payload = new ReadOnlySequence<byte>([.. frame.Payload.ToArray(), 10]) };
            })
            .BeforeSend((ref Envelope frame) =>
            {
                order.Add("send 2");
                frame = frame with { Payload = new ReadOnlySequence<byte>([.. frame.Payload.ToArray(), 20]) };
            })
            .AfterReceive((ref Envelope frame) => order.Add($"receive {frame.Payload.Length}"))
            .OnConnected(async (connected, token) => order.Add($"connected, echo {(await connected.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [], token)).Length}"))
            .OnDisconnected(reason => disconnected.TrySetResult(reason))
            .ConnectAsync("127.0.0.1", server.Port);

        byte[] echoed = await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]).AsTask().WaitAsync(Safety);
        await client.DisposeAsync();

        Assert.Equal([1, 10, 20], echoed);
        Assert.Equal(["send 1", "send 2", "receive 2", "connected, echo 2", "send 1", "send 2", "receive 3"], order);
        Assert.IsType<WireframeConnectionLostException>(await disconnected.Task.WaitAsync(Safety));
    }

    [Fact]
    public async Task The_client_connects_over_a_unix_domain_socket()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("wf-client-");
        string path = Path.Combine(directory.FullName, "echo.sock");
        try
        {
            await using WireframeServer server = WireframeServer.Create(EchoApp.CreateRouted())
                .ListenUnixSocket(path)
                .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
                .Build();
            await server.StartAsync();

            await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
                .ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(path)).AsTask().WaitAsync(Safety);
            Task<byte[]>[] calls = [.. Enumerable.Range(0, 10).Select(i => client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [(byte)i]).AsTask())];

            byte[][] echoed = await Task.WhenAll(calls).WaitAsync(Safety);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)i), echoed.Select(e => e[0]));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Tls_with_a_self_signed_certificate_accepted_by_the_validation_callback()
    {
        using X509Certificate2 certificate = SelfSigned("wireframe.test");
        await using WireframeServer server = WireframeServer.Create(EchoApp.CreateRouted())
            .ListenTcp("127.0.0.1", 0, listen => listen.UseHttps(certificate))
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .Build();
        await server.StartAsync();
        int port = ((IPEndPoint)server.EndPoints[0]).Port;
        string? seen = null;

        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .UseTls("wireframe.test", (_, cert, _, _) =>
            {
                seen = cert?.Subject;
                return cert is not null && cert.GetCertHashString() == certificate.GetCertHashString();
            })
            .ConnectAsync("127.0.0.1", port).AsTask().WaitAsync(Safety);

        Assert.Equal([3, 4], await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [3, 4]).AsTask().WaitAsync(Safety));
        Assert.Equal("CN=wireframe.test", seen);

        // The system's validation refuses the same self-signed certificate.
        await Assert.ThrowsAsync<System.Security.Authentication.AuthenticationException>(async () =>
            await WireframeClient.CreateBuilder().UseTls("wireframe.test").ConnectAsync("127.0.0.1", port)).WaitAsync(Safety);
    }

    [Fact]
    public async Task State_set_up_in_OnConnected_is_in_Items_for_calls_and_for_OnDisconnected()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        var tornDown = new TaskCompletionSource<(object? Session, Exception Reason)>(TaskCreationOptions.RunContinuationsAsynchronously);
        WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .OnConnected(async (connected, token) =>
            {
                byte[] session = await connected.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [42], token);
                connected.Items["session"] = session[0];
            })
            .OnDisconnected((closed, reason) => tornDown.TrySetResult((closed.Items["session"], reason)))
            .ConnectAsync("127.0.0.1", server.Port).AsTask().WaitAsync(Safety);

        Assert.Equal((byte)42, client.Items["session"]);
        await client.DisposeAsync();

        (object? session, Exception reason) = await tornDown.Task.WaitAsync(Safety);
        Assert.Equal((byte)42, session);
        Assert.IsType<WireframeConnectionLostException>(reason);
    }

    private static WireframeAppBuilder<Envelope> PreambleApp(bool reply, TaskCompletionSource? received = null)
    {
        WireframeAppBuilder<Envelope> app = EchoApp.CreateRouted();
        app.UsePreamble(new LinePreambleReader(), onSuccess: async (connection, name) =>
        {
            received?.TrySetResult();
            if (reply)
            {
                await connection.SendRawAsync(Encoding.ASCII.GetBytes($"WELCOME {name}\n"));
            }
        });
        return app;
    }

    private static async Task<string> ReadLineAsync(PipeReader input, CancellationToken token)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(token);
            if (result.Buffer.PositionOf((byte)'\n') is SequencePosition end)
            {
                string line = Encoding.ASCII.GetString(result.Buffer.Slice(0, end));
                input.AdvanceTo(result.Buffer.GetPosition(1, end));
                return line;
            }

            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            if (result.IsCompleted)
            {
                throw new EndOfStreamException("The server closed before its reply.");
            }
        }
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }
}
