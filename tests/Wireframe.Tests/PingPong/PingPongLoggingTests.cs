using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wireframe.Examples.PingPong;
using Wireframe.Examples.PingPong.Messages;
using Wireframe.Messages;
using Wireframe.Testing;
using static Wireframe.Tests.PingPong.PingPongWire;

namespace Wireframe.Tests.PingPong;

public sealed class PingPongLoggingTests
{
    [Fact]
    public async Task Logs_one_entry_per_request_with_message_id_correlation_id_and_elapsed_time()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = WireframeTest.CreateHost(PingPongApp.Create(), services => services.AddLogging(b => b.AddProvider(logs)));
        await using var client = host.Connect();

        await client.SendAsync(PingPongApp.PingMessageId, new Ping(1), correlationId: 10);
        await client.SendAsync(PingPongApp.PingMessageId, new Ping(2));
        await client.SendAsync(PingPongApp.PingMessageId, new Ping(uint.MaxValue), correlationId: 12);
        await client.SendFrameAsync(new Envelope(PingPongApp.PingMessageId, 13ul, new byte[3]));
        for (int i = 0; i < 4; i++)
        {
            await client.ReadFrameAsync().AsTask().WaitAsync(SafetyTimeout);
        }

        // Once the connection has ended every request has finished, so every entry is written.
        await client.CompleteAsync();
        await client.WaitForCloseAsync().WaitAsync(SafetyTimeout);

        IReadOnlyList<CapturingLoggerProvider.LogEntry> entries = logs.EntriesFor(PingPongLog.Category);
        Assert.Equal(4, entries.Count);
        Assert.All(entries, e =>
        {
            Assert.Equal(LogLevel.Information, e.Level);
            Assert.Equal(PingPongApp.PingMessageId, Assert.IsType<uint>(e.Values["MessageId"]));
            Assert.True(Assert.IsType<double>(e.Values["ElapsedMs"]) >= 0);
            Assert.StartsWith("Message 1 ", e.Message, StringComparison.Ordinal);
        });
        Assert.Equal([10ul, null, 12ul, 13ul], entries.Select(e => (ulong?)e.Values["CorrelationId"]));
        Assert.Equal(
            [PingPongLog.RequestHandledEventId, PingPongLog.RequestHandledEventId, PingPongLog.RequestFailedEventId, PingPongLog.RequestFailedEventId],
            entries.Select(e => e.EventId.Id));
    }

    [Fact]
    public async Task Logger_is_created_once_per_application_not_per_message_or_connection()
    {
        var logs = new CapturingLoggerProvider();
        CountingLoggerFactory? factory = null;
        await using var host = WireframeTest.CreateHost(PingPongApp.Create(), services =>
            services.AddSingleton<ILoggerFactory>(_ => factory = new CountingLoggerFactory(new LoggerFactory([logs]))));

        for (int c = 0; c < 2; c++)
        {
            await using var client = host.Connect();
            for (uint i = 0; i < 3; i++)
            {
                await client.SendAsync(PingPongApp.PingMessageId, new Ping(i));
                await client.ReadFrameAsync().AsTask().WaitAsync(SafetyTimeout);
            }

            await client.CompleteAsync();
            await client.WaitForCloseAsync().WaitAsync(SafetyTimeout);
        }

        Assert.NotNull(factory);
        Assert.Equal(6, logs.EntriesFor(PingPongLog.Category).Count);
        Assert.Equal(1, factory.CreatedCount(PingPongLog.Category));
    }

    [Fact]
    public async Task Filtered_out_request_log_writes_nothing_and_pings_are_still_answered()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = WireframeTest.CreateHost(PingPongApp.Create(), services => services.AddLogging(b => b.AddProvider(logs).AddFilter(PingPongLog.Category, LogLevel.Warning)));
        await using var client = host.Connect();

        await client.SendAsync(PingPongApp.PingMessageId, new Ping(1), correlationId: 1);
        await client.SendAsync(PingPongApp.PingMessageId, new Ping(uint.MaxValue), correlationId: 2);

        Assert.Equal(new Pong(2), AssertPong(await client.ReadFrameAsync().AsTask().WaitAsync(SafetyTimeout), correlationId: 1));
        Assert.Equal(PingPongErrorCodes.ValueOverflow, AssertError(await client.ReadFrameAsync().AsTask().WaitAsync(SafetyTimeout), correlationId: 2).Code);
        await client.CompleteAsync();
        await client.WaitForCloseAsync().WaitAsync(SafetyTimeout);
        Assert.Empty(logs.EntriesFor(PingPongLog.Category));
    }
}
