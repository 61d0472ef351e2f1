using System.Buffers.Binary;
using System.Text;
using Outcomes.Domain.Exports;

namespace Outcomes.Service.Exports;

/// A temporary file of rows in a compact tagged form: the first pass writes each course's rows once, the second
/// replays them in subject-id order with the subject's released attributes in front. Cells are a tag byte and,
/// for values, a variable-length integer or UTF-8 text; decimals as their four 32-bit parts.
internal sealed class ExportSpool : IRowWriter, IDisposable
{
    private const byte Null = 0, TextTag = 1, IntTag = 2, True = 3, False = 4, DecimalTag = 5, EndTag = 6;

    private readonly FileStream _file;
    private byte[] _buffer = new byte[1 << 16];
    private int _length;
    private readonly int[] _decimalBits = new int[4];

    public ExportSpool(string folder)
    {
        _file = new FileStream(Path.Combine(folder, $"outcomes-export-{Guid.NewGuid():N}.spool"), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
    }

    /// Bytes written so far: a course's rows are the range between two positions.
    public long Position => _file.Length + _length;

    public void Text(string? value)
    {
        if (value is null)
        {
            Ensure(1);
            _buffer[_length++] = Null;
            return;
        }
        Ensure(1 + 5 + Encoding.UTF8.GetMaxByteCount(value.Length));
        _buffer[_length++] = TextTag;
        var lengthAt = _length;
        _length += 2;
        var bytes = Encoding.UTF8.GetBytes(value, 0, value.Length, _buffer, _length);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(lengthAt), checked((ushort)bytes));
        _length += bytes;
    }

    public void Integer(int? value)
    {
        Ensure(6);
        if (value is not { } v)
        {
            _buffer[_length++] = Null;
            return;
        }
        _buffer[_length++] = IntTag;
        // Zig-zag, so small negative days stay one byte.
        var z = (uint)((v << 1) ^ (v >> 31));
        while (z >= 0x80)
        {
            _buffer[_length++] = (byte)(z | 0x80);
            z >>= 7;
        }
        _buffer[_length++] = (byte)z;
    }

    public void Boolean(bool? value)
    {
        Ensure(1);
        _buffer[_length++] = value is null ? Null : value.Value ? True : False;
    }

    public void Decimal(decimal? value)
    {
        Ensure(17);
        if (value is not { } v)
        {
            _buffer[_length++] = Null;
            return;
        }
        _buffer[_length++] = DecimalTag;
        decimal.GetBits(v, _decimalBits);
        foreach (var part in _decimalBits)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length), part);
            _length += 4;
        }
    }

    public void EndRow()
    {
        Ensure(1);
        _buffer[_length++] = EndTag;
    }

    /// Writes out what is buffered; call before reading.
    public void Flush()
    {
        _file.Write(_buffer, 0, _length);
        _length = 0;
    }

    private void Ensure(int bytes)
    {
        if (_length + bytes <= _buffer.Length) return;
        Flush();
        if (bytes > _buffer.Length) _buffer = new byte[bytes];
    }

    /// Replays the rows in [offset, offset + length) into the writer: before each row, prefix; cells of columns
    /// that follow the modality are replaced when withholdModality ("other" for the modality, empty otherwise).
    public void Replay(long offset, int length, IRowWriter writer, Action<IRowWriter> prefix, ExportDataset dataset,
        bool withholdModality, ref byte[] scratch)
    {
        if (scratch.Length < length) scratch = new byte[Math.Max(length, scratch.Length * 2)];
        RandomAccess.Read(_file.SafeFileHandle, scratch.AsSpan(0, length), offset);
        var span = scratch.AsSpan(0, length);
        var at = 0;
        var column = dataset.CourseColumnsStart;
        var rowStart = true;
        while (at < span.Length)
        {
            if (rowStart)
            {
                prefix(writer);
                rowStart = false;
            }
            var tag = span[at++];
            var masked = withholdModality && tag != EndTag && dataset.Columns[column].FollowsModality;
            switch (tag)
            {
                case EndTag:
                    writer.EndRow();
                    column = dataset.CourseColumnsStart;
                    rowStart = true;
                    continue;
                case Null:
                    Write(writer, dataset.Columns[column], masked);
                    break;
                case TextTag:
                {
                    var bytes = BinaryPrimitives.ReadUInt16LittleEndian(span[at..]);
                    at += 2;
                    if (masked) Write(writer, dataset.Columns[column], true);
                    else writer.Text(Labels.Get(span.Slice(at, bytes)));
                    at += bytes;
                    break;
                }
                case IntTag:
                {
                    uint z = 0;
                    var shift = 0;
                    byte b;
                    do
                    {
                        b = span[at++];
                        z |= (uint)(b & 0x7F) << shift;
                        shift += 7;
                    } while ((b & 0x80) != 0);
                    var v = (int)(z >> 1) ^ -(int)(z & 1);
                    if (masked) Write(writer, dataset.Columns[column], true);
                    else writer.Integer(v);
                    break;
                }
                case True or False:
                    if (masked) Write(writer, dataset.Columns[column], true);
                    else writer.Boolean(tag == True);
                    break;
                case DecimalTag:
                {
                    var value = new decimal([
                        BinaryPrimitives.ReadInt32LittleEndian(span[at..]), BinaryPrimitives.ReadInt32LittleEndian(span[(at + 4)..]),
                        BinaryPrimitives.ReadInt32LittleEndian(span[(at + 8)..]), BinaryPrimitives.ReadInt32LittleEndian(span[(at + 12)..]),
                    ]);
                    at += 16;
                    if (masked) Write(writer, dataset.Columns[column], true);
                    else writer.Decimal(value);
                    break;
                }
                default:
                    throw new InvalidDataException($"export spool: unknown tag {tag}");
            }
            column++;
        }
    }

    private static void Write(IRowWriter writer, ExportColumn column, bool masked)
    {
        var modality = masked && column.Name == "modality";
        switch (column.Type)
        {
            case ColumnType.Text: writer.Text(modality ? Release.OtherModality : null); break;
            case ColumnType.Integer: writer.Integer(null); break;
            case ColumnType.Boolean: writer.Boolean(null); break;
            default: writer.Decimal(null); break;
        }
    }

    public void Dispose() => _file.Dispose();

    /// The same few labels recur millions of times: decode each once.
    private static class Labels
    {
        [ThreadStatic] private static Dictionary<string, string>? _cache;

        public static string Get(ReadOnlySpan<byte> utf8)
        {
            if (utf8.Length > 128) return Encoding.UTF8.GetString(utf8);
            _cache ??= new Dictionary<string, string>(StringComparer.Ordinal);
            Span<char> chars = stackalloc char[128];
            var n = Encoding.UTF8.GetChars(utf8, chars);
            var lookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(chars[..n], out var text)) return text;
            text = new string(chars[..n]);
            if (_cache.Count < 4096) _cache[text] = text;
            return text;
        }
    }
}
