using System.Buffers;
using Wireframe.Connections;
using Wireframe.Fragmentation;

namespace Wireframe.Testing;

/// <summary>Fragments: drive split messages (whole, partial, interleaved) into the server and read split replies.</summary>
public sealed partial class TestConnection<TFrame>
{
    private Reassembler? _replies;

    /// <summary>Gets the server's side of this connection while it runs (<see langword="null"/> before it starts and after it ends).</summary>
    public WireframeConnection<TFrame>? Server => _context.Features.Get<WireframeConnection<TFrame>>();

    /// <summary>Gets what the server's side holds in inbound memory (partial messages, bytes, evictions, pauses); all zero once it ended.</summary>
    public InboundMemoryStats InboundMemory => Server?.InboundMemory ?? default;

    /// <summary>
    /// Splits a logical frame with the application's fragment strategy the way a sender would, and
    /// returns each fragment frame encoded with the application's codec, in order: send them all, some,
    /// out of order, or interleaved with another message's, whole or a few bytes at a time.
    /// </summary>
    /// <param name="message">The logical frame.</param>
    /// <param name="messageKey">The key that names the message on the wire; give concurrent messages different keys.</param>
    /// <returns>The encoded fragment frames (one, with a header, when the message fits in one fragment).</returns>
    /// <exception cref="InvalidOperationException">The application does not use fragmentation.</exception>
    public IReadOnlyList<byte[]> EncodeFragments(TFrame message, ulong messageKey = 1)
    {
        IFragmentStrategy<TFrame> strategy = _application.FragmentStrategy
            ?? throw new InvalidOperationException("The application does not use fragmentation (UseFragmentation).");
        var fragmenter = new OutboundFragmenter<TFrame>(strategy, _application.Format, _application.Codec);
        var fragments = new List<byte[]>();
        var output = new ArrayBufferWriter<byte>();
        if (fragmenter.TryEncodeWhole(message, output))
        {
            fragments.Add(output.WrittenSpan.ToArray());
            return fragments;
        }

        FragmentSlicer slicer = fragmenter.StartSplit(message, out _);
        while (slicer.MoveNext())
        {
            output.ResetWrittenCount();
            fragmenter.EncodeFragment(message, new FragmentHeader(messageKey, slicer.Index, slicer.IsLast), slicer.Chunk, output);
            fragments.Add(output.WrittenSpan.ToArray());
        }

        return fragments;
    }

    /// <summary>Sends a logical frame split by the application's fragment strategy, or only its first fragments.</summary>
    /// <param name="message">The logical frame.</param>
    /// <param name="messageKey">The key that names the message on the wire.</param>
    /// <param name="fragmentCount">How many fragments to send; <see langword="null"/> for all (a partial message otherwise).</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>How many fragments the whole message has.</returns>
    public async ValueTask<int> SendFragmentsAsync(TFrame message, ulong messageKey = 1, int? fragmentCount = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<byte[]> fragments = EncodeFragments(message, messageKey);
        int count = Math.Min(fragmentCount ?? fragments.Count, fragments.Count);
        for (int i = 0; i < count; i++)
        {
            await SendRawAsync(fragments[i], cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return fragments.Count;
    }

    /// <summary>
    /// Reads the next whole message the server sent: fragments are put back together with the
    /// application's strategy (headers removed), so a split reply comes back as one frame. Without
    /// fragmentation this is <see cref="ReadFrameAsync"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The logical frame, in memory the caller owns.</returns>
    public async ValueTask<TFrame> ReadMessageAsync(CancellationToken cancellationToken = default)
    {
        if (_application.FragmentStrategy is not { } strategy)
        {
            return await ReadFrameAsync(cancellationToken).ConfigureAwait(false);
        }

        _replies ??= new Reassembler(new ReassemblyLimits { MaxMessageSize = long.MaxValue, MaxBufferedBytes = long.MaxValue, MaxConcurrentMessages = int.MaxValue, Timeout = TimeSpan.MaxValue }, TimeProvider.System);
        while (true)
        {
            TFrame frame = await ReadFrameAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> payload = _application.Format.GetPayload(frame);
            switch (strategy.DecodeHeader(frame, payload, out FragmentHeader header, out int headerLength))
            {
                case FragmentDecodeStatus.Whole:
                    return headerLength == 0 ? frame : _application.Format.WithPayload(frame, payload.Slice(headerLength));
                case FragmentDecodeStatus.Malformed:
                    throw new InvalidDataException("The server sent a frame with a malformed fragment header.");
            }

            switch (_replies.Accept(header, payload.Slice(headerLength), out ReassembledMessage message, out ReassemblyError error))
            {
                case ReassemblyOutcome.Completed:
                    using (message)
                    {
                        return _application.Format.WithPayload(frame, new ReadOnlySequence<byte>(message.Payload.ToArray()));
                    }

                case ReassemblyOutcome.Refused:
                    throw new InvalidDataException($"The server sent a fragment reassembly refused: {error}.");
            }
        }
    }
}
