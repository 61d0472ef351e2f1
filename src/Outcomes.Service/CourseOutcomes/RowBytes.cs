using System.Buffers;
using System.Buffers.Binary;

namespace Outcomes.Service.CourseOutcomes;

/// Writes the read model's compact binary rows: bytes, flags and zigzag varints, so the small magnitudes that make up
/// most of a course (days, counts, scores) take one byte each.
internal sealed class RowBytesWriter(int capacity)
{
    private readonly ArrayBufferWriter<byte> _buffer = new(capacity);

    public void Byte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

    public void Flag(bool? value) => Byte(value switch { null => 2, true => 1, false => 0 });

    public void Int(int value) => VarLong(value);

    /// Null as 0, a value as its zigzag varint plus one.
    public void NullableInt(int? value)
    {
        if (value is not { } v)
        {
            Byte(0);
            return;
        }
        VarUnsigned(((ulong)(((long)v << 1) ^ ((long)v >> 63))) + 1);
    }

    public void VarLong(long value) => VarUnsigned((ulong)((value << 1) ^ (value >> 63)));

    public void VarUnsigned(ulong value)
    {
        while (value >= 0x80)
        {
            Byte((byte)(value | 0x80));
            value >>= 7;
        }
        Byte((byte)value);
    }

    public void Long(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}

/// Reads what RowBytesWriter wrote, in the same order.
internal ref struct RowBytesReader(ReadOnlySpan<byte> row)
{
    private readonly ReadOnlySpan<byte> _row = row;
    private int _at;

    public readonly bool AtEnd => _at >= _row.Length;

    public byte Byte() => _row[_at++];

    public bool Bool() => Byte() != 0;

    public bool? Flag() => Byte() switch { 2 => null, 1 => true, _ => false };

    public int Int() => checked((int)VarLong());

    public int? NullableInt()
    {
        var raw = VarUnsigned();
        if (raw == 0) return null;
        raw--;
        return checked((int)((long)(raw >> 1) ^ -(long)(raw & 1)));
    }

    public long VarLong()
    {
        var raw = VarUnsigned();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public ulong VarUnsigned()
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = _row[_at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }

    public long Long()
    {
        var v = BinaryPrimitives.ReadInt64LittleEndian(_row[_at..]);
        _at += 8;
        return v;
    }
}
