using System.Buffers;
using System.Text.Json;
using Wireframe.Examples.Chat;
using Wireframe.Messages;
using Wireframe.Testing;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Chat;

public sealed class ChatHeartbeatTests
{
    [Fact]
    public async Task Each_connection_gets_a_high_priority_heartbeat_every_period_of_the_apps_clock_until_it_closes()
    {
        await using var host = WireframeTest.CreateHost(ChatApp.Create(new ChatRoom(), TimeSpan.FromSeconds(15)));
        await using var client = host.Connect();

        for (long beat = 1; beat <= 3; beat++)
        {
            host.Time.Advance(TimeSpan.FromSeconds(15));
            Envelope frame = await client.NextFrameAsync();
            Assert.Equal(ChatIds.Heartbeat, frame.MessageId);
            Assert.Null(frame.CorrelationId);
            Assert.Equal(beat, JsonSerializer.Deserialize(frame.Payload.ToArray(), ChatJsonContext.Default.Heartbeat)!.Sequence);
        }

        await client.CompleteAsync();
        await client.WaitForCloseAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // The connection's timer died with it: advancing the clock schedules nothing more.
        Assert.Equal(0, host.Time.PendingTimers);
    }
}
