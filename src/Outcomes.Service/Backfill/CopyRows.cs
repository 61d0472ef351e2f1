using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Outcomes.Service.Backfill;

/// Rows in PostgreSQL's binary COPY format (the COPY page of its documentation: a signature, then per row a field count
/// and each field as a length and its binary send form, -1 for null, then -1 as the trailer). The backfill encodes most
/// of each event's row on every core before its transaction, so that writing the events under the lock on mt_events is
/// little more than copying bytes; Npgsql's importer would resolve and convert every field of every row there, on one
/// thread, while live appends wait (about an eighth of the service's work in a backfill).
internal sealed class CopyRows
{
    /// "PGCOPY\n\377\r\n\0": 11 bytes.
    private static readonly byte[] Signature = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0];

    /// PostgreSQL's epoch for timestamps, in .NET ticks.
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    private readonly ArrayBufferWriter<byte> _buffer;

    public CopyRows(int initialCapacity = 256) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    public ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    public int Length => _buffer.WrittenCount;

    public void Clear() => _buffer.Clear();

    private void Advance(int count) => _buffer.Advance(count);

    private Span<byte> GetSpan(int sizeHint) => _buffer.GetSpan(sizeHint);

    /// The file header: signature, flags (no OIDs) and an empty header extension.
    public CopyRows Header()
    {
        var span = GetSpan(19);
        Signature.CopyTo(span);
        BinaryPrimitives.WriteInt32BigEndian(span[11..], 0);
        BinaryPrimitives.WriteInt32BigEndian(span[15..], 0);
        Advance(19);
        return this;
    }

    public CopyRows Trailer() => Int16(-1);

    public CopyRows Row(short fields) => Int16(fields);

    public CopyRows Bigint(long value)
    {
        var span = GetSpan(12);
        BinaryPrimitives.WriteInt32BigEndian(span, 8);
        BinaryPrimitives.WriteInt64BigEndian(span[4..], value);
        Advance(12);
        return this;
    }

    public CopyRows Boolean(bool value)
    {
        var span = GetSpan(5);
        BinaryPrimitives.WriteInt32BigEndian(span, 1);
        span[4] = value ? (byte)1 : (byte)0;
        Advance(5);
        return this;
    }

    /// uuid's send form is its 16 bytes in the order the text form shows them.
    public CopyRows Uuid(Guid value)
    {
        var span = GetSpan(20);
        BinaryPrimitives.WriteInt32BigEndian(span, 16);
        value.TryWriteBytes(span[4..], bigEndian: true, out _);
        Advance(20);
        return this;
    }

    /// timestamptz's send form: microseconds since 2000-01-01 00:00 UTC.
    public CopyRows TimestampTz(DateTimeOffset value) =>
        Bigint((value.UtcTicks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond);

    /// text and varchar: the UTF-8 bytes; null as a null field.
    public CopyRows Text(string? value) => value is null ? Null() : Encoded(value, jsonb: false);

    /// jsonb's send form: a version byte (1) and the JSON text.
    public CopyRows Jsonb(string value) => Encoded(value, jsonb: true);

    public CopyRows Null() => Int32(-1);

    /// Bytes encoded before (a row's tail), copied as they are.
    public CopyRows Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Advance(bytes.Length);
        return this;
    }

    private CopyRows Encoded(string value, bool jsonb)
    {
        var prefix = jsonb ? 5 : 4;
        var span = GetSpan(prefix + Encoding.UTF8.GetMaxByteCount(value.Length));
        var length = Encoding.UTF8.GetBytes(value, span[prefix..]);
        BinaryPrimitives.WriteInt32BigEndian(span, length + prefix - 4);
        if (jsonb) span[4] = 1;
        Advance(prefix + length);
        return this;
    }

    private CopyRows Int16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(GetSpan(2), value);
        Advance(2);
        return this;
    }

    private CopyRows Int32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(GetSpan(4), value);
        Advance(4);
        return this;
    }
}
