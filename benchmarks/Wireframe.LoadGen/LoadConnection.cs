using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;

namespace Wireframe.LoadGen;

/// <summary>
/// One closed-loop client connection: keeps exactly D requests outstanding, replacing each
/// response with a new request, and times every round trip.
/// </summary>
/// <remarks>
/// The generator has a single core, so all per-frame work here is allocation-free and the
/// async machinery runs once per socket read, not once per frame: a read that brings k responses
/// is answered with one write of k requests.
/// </remarks>
internal sealed class LoadConnection
{
    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    private readonly Socket _socket;
    private readonly RunSchedule _schedule;
    private readonly RequestFrame _frame;
    private readonly uint _expectedHeader;
    private readonly byte[] _sendBuffer;
    private readonly byte[] _receiveBuffer;

    // Send timestamps of outstanding requests. Responses return in request order, so a FIFO ring
    // of D slots pairs them up: _head is the oldest outstanding request.
    private readonly long[] _sentAt;
    private int _head;
    private int _received;
    private string? _error;

    public LoadConnection(int id, Socket socket, RunSchedule schedule, RequestFrame frame, byte[] sendBuffer, int inFlight)
    {
        Id = id;
        _socket = socket;
        _schedule = schedule;
        _frame = frame;
        _expectedHeader = BinaryPrimitives.ReadUInt32BigEndian(frame.Bytes);
        _sendBuffer = sendBuffer;
        _sentAt = new long[inFlight];

        // At most D responses are ever owed, so this holds everything the server may legitimately send.
        _receiveBuffer = new byte[Math.Max(frame.Length * inFlight, 4096)];
    }

    public int Id { get; }

    public LatencyHistogram Histogram { get; } = new();

    /// <summary>Round trips whose response arrived inside the measured phase.</summary>
    public long MeasuredFrames { get; private set; }

    /// <summary>Socket reads that returned data during the measured phase.</summary>
    public long MeasuredReads { get; private set; }

    /// <summary>Round trips completed in any phase, warmup and drain included.</summary>
    public long TotalFrames { get; private set; }

    public string? Error => Volatile.Read(ref _error);

    /// <summary>Records the first failure and tears the socket down so a blocked read returns.</summary>
    public void Fail(string message)
    {
        if (Interlocked.CompareExchange(ref _error, message, null) is null)
        {
            _socket.Dispose();
        }
    }

    public async Task RunAsync()
    {
        try
        {
            await RunLoopAsync();
        }
        catch (ProtocolViolationException ex)
        {
            Fail(ex.Message);
        }
        catch (SocketException ex)
        {
            Fail($"socket error: {ex.SocketErrorCode} ({ex.Message})");
        }
        catch (ObjectDisposedException)
        {
            // Only Fail disposes the socket early, and it has already recorded why.
            Fail("connection closed");
        }
        finally
        {
            // Every response has been read by now, so closing sends a clean FIN rather than a reset.
            _socket.Dispose();
        }
    }

    [SuppressMessage("Reliability", "CA2012:Use ValueTasks correctly",
        Justification = "The pending send is polled with IsCompleted and awaited exactly once, either in the loop or after it.")]
    private async Task RunLoopAsync()
    {
        int frameLength = _frame.Length;
        int depth = _sentAt.Length;
        int outstanding = 0;
        int credits = depth;
        bool sending = true;

        // Writes are not awaited before the next read: with large frames the server can only finish
        // accepting our write once we drain its replies, so awaiting first would deadlock.
        ValueTask<int> pendingSend = default;
        bool sendPending = false;

        while (true)
        {
            if (sendPending && pendingSend.IsCompleted)
            {
                await pendingSend;
                sendPending = false;
            }

            if (!sendPending && credits > 0)
            {
                long now = Stopwatch.GetTimestamp();
                int slot = _head + outstanding;
                for (int i = 0; i < credits; i++, slot++)
                {
                    _sentAt[slot >= depth ? slot - depth : slot] = now;
                }

                pendingSend = _socket.SendAsync(_sendBuffer.AsMemory(0, credits * frameLength), SocketFlags.None);
                outstanding += credits;
                credits = 0;
                if (pendingSend.IsCompleted)
                {
                    await pendingSend;
                }
                else
                {
                    sendPending = true;
                }
            }

            if (outstanding == 0)
            {
                break;
            }

            int read = await _socket.ReceiveAsync(_receiveBuffer.AsMemory(_received), SocketFlags.None);
            long receivedAt = Stopwatch.GetTimestamp();
            if (read == 0)
            {
                throw new ProtocolViolationException($"server closed the connection with {outstanding} responses outstanding");
            }

            _received += read;
            int completed = ConsumeResponses(receivedAt, outstanding);
            outstanding -= completed;
            if (sending)
            {
                if (receivedAt >= _schedule.End)
                {
                    // From here on only drain: requests not yet written are never sent.
                    sending = false;
                    credits = 0;
                }
                else
                {
                    credits += completed;
                }
            }
        }

        if (sendPending)
        {
            await pendingSend;
        }
    }

    /// <summary>
    /// Validates and times every complete response in the receive buffer, then moves any partial
    /// frame to the front. Every response in one read shares the read's timestamp: that is when the
    /// client could first have seen each of them.
    /// </summary>
    private int ConsumeResponses(long receivedAt, int outstanding)
    {
        byte[] buffer = _receiveBuffer;
        ReadOnlySpan<byte> expected = _frame.Bytes;
        int frameLength = expected.Length;
        int depth = _sentAt.Length;
        bool measured = receivedAt >= _schedule.MeasureStart && receivedAt < _schedule.End;
        int offset = 0;
        int completed = 0;

        while (_received - offset >= 4)
        {
            // Check the header as soon as it is here: a wrong length would otherwise leave us
            // waiting for bytes that never come.
            if (BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(offset)) != _expectedHeader)
            {
                throw new ProtocolViolationException(_frame.DescribeMismatch(buffer.AsSpan(offset, _received - offset)));
            }

            if (_received - offset < frameLength)
            {
                break;
            }

            ReadOnlySpan<byte> response = buffer.AsSpan(offset, frameLength);
            if (!response.SequenceEqual(expected))
            {
                throw new ProtocolViolationException(_frame.DescribeMismatch(response));
            }

            if (completed == outstanding)
            {
                throw new ProtocolViolationException("server sent a response to a request that was never made");
            }

            long sentAt = _sentAt[_head];
            if (++_head == depth)
            {
                _head = 0;
            }

            if (measured)
            {
                Histogram.Record((long)((receivedAt - sentAt) * NanosecondsPerTick));
            }

            completed++;
            offset += frameLength;
        }

        TotalFrames += completed;
        if (measured)
        {
            MeasuredFrames += completed;
            MeasuredReads++;
        }

        if (offset > 0)
        {
            int rest = _received - offset;
            buffer.AsSpan(offset, rest).CopyTo(buffer);
            _received = rest;
        }

        return completed;
    }
}
