using FsCheck;
using FsCheck.Fluent;
using Wireframe.Framing;

using Wireframe.Tests.Support;

namespace Wireframe.Tests.Framing;

/// <summary>FsCheck generators for framing configurations, payloads and split points.</summary>
internal static class FramingGen
{
    public static readonly Config Config = FsCheck.Config.QuickThrowOnFailure.WithMaxTest(300);

    public static Gen<byte> Byte => Gen.Choose(0, 255).Select(b => (byte)b);

    /// <summary>Any configuration, including ones that can send nothing (useful for malformed-input properties).</summary>
    public static Gen<FramingCase> AnyCase =>
        from prefix in Gen.Elements(1, 2, 4, 8)
        from order in Gen.Elements(ByteOrder.BigEndian, ByteOrder.LittleEndian)
        from includes in Gen.Elements(false, true)
        from adjustment in Gen.Frequency((3, Gen.Constant(0)), (2, Gen.Choose(-8, 8)))
        from max in Gen.Frequency((4, Gen.Choose(0, 64)), (2, Gen.Choose(0, 400)), (1, Gen.Elements(255, 256, 65535, 65536, LengthDelimitedOptions.DefaultMaxFrameLength)))
        select new FramingCase(prefix, order, includes, adjustment, max);

    /// <summary>Configurations that can send bodies of at least <paramref name="minRoom"/> bytes.</summary>
    public static Gen<FramingCase> UsableCase(int minRoom = 0) => AnyCase.Where(c => c.MaxBody >= Math.Max(c.MinBody, minRoom));

    /// <summary>A body length the configuration can send, biased towards the limits.</summary>
    public static Gen<int> BodyLength(FramingCase c, int headerSize = 0)
    {
        int min = (int)Math.Max(c.MinBody - headerSize, 0);
        int max = (int)Math.Min(c.MaxBody - headerSize, 600);
        return Gen.Frequency((1, Gen.Constant(min)), (1, Gen.Constant(max)), (6, Gen.Choose(min, max)));
    }

    public static Gen<byte[]> Bytes(int length) => Gen.ArrayOf(Byte, length);

    public static Gen<byte[]> Payload(FramingCase c, int headerSize = 0) => BodyLength(c, headerSize).SelectMany(Bytes);

    /// <summary>Arbitrary split points; <see cref="Segments.Split"/> folds them into range.</summary>
    public static Gen<int[]> Cuts => Gen.ArrayOf(Gen.Choose(0, 1_000_000));

    /// <summary>Any 64-bit value, uniformly.</summary>
    public static Gen<ulong> UInt64 =>
        from high in Gen.Choose(int.MinValue, int.MaxValue)
        from low in Gen.Choose(int.MinValue, int.MaxValue)
        select ((ulong)(uint)high << 32) | (uint)low;

    /// <summary>One piece of an input stream: mostly valid frames, sometimes stray bytes, and oversized prefixes where the case has any.</summary>
    public static Gen<byte[]> StreamItem(FramingCase c)
    {
        var choices = new List<(int, Gen<byte[]>)>
        {
            (8, Payload(c).Select(c.Frame)),
            (1, Gen.Choose(1, 6).SelectMany(Bytes)),
        };
        if (c.SmallestOversizedDeclared is not null)
        {
            choices.Add((2,
                from declared in OversizedDeclared(c)
                from body in Gen.Choose(0, 40).SelectMany(Bytes)
                select (byte[])[.. c.Prefix(declared), .. body]));
        }

        return Gen.Frequency(choices.ToArray());
    }

    /// <summary>A declared length that announces a body above the maximum, for configurations that can declare one.</summary>
    public static Gen<ulong> OversizedDeclared(FramingCase c)
    {
        ulong first = c.SmallestOversizedDeclared!.Value;
        ulong last = c.MaxDeclared;
        ulong span = last - first;
        Gen<ulong> anywhere = UInt64.Select(r => span == ulong.MaxValue ? r : first + (r % (span + 1)));
        var choices = new List<(int, Gen<ulong>)>
        {
            (2, Gen.Constant(first)),
            (1, Gen.Constant(last)),
            (2, Gen.Choose(0, 16).Select(d => first + Math.Min((ulong)d, span))),
            (4, anywhere),
        };
        if (c.PrefixLength == 8)
        {
            // Around the largest long, where lengths plus the prefix stop fitting in a long.
            choices.Add((3, Gen.Choose(-16, 16).Select(d => unchecked((ulong)long.MaxValue + (ulong)(long)d))));
        }

        return Gen.Frequency(choices.ToArray()).Where(d => d >= first && d <= last);
    }
}
