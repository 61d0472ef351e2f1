namespace Outcomes.Cli.Loading;

/// <summary>Whole lines of a file: where they start, how many bytes, and the file's number of the first one.</summary>
public readonly record struct FilePart(long Start, long Length, long FirstLine);

/// <summary>
/// Walks a file in parts of whole lines, numbering lines as the service does: every '\n' ends a line, and a last
/// line without one counts too. Only the line ends are looked at, so any line (even one the service will refuse as
/// too long) stays whole in one part.
/// </summary>
public sealed class FileParts(Stream file)
{
    private readonly byte[] _buffer = new byte[1 << 16];
    private long _line = 1;

    /// <summary>Where the next part starts.</summary>
    public long Position { get; private set; }

    /// <summary>Moves to the start of the given line (1 = the first); false when the file has no such line.</summary>
    public async Task<bool> SkipTo(long line, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(line, _line);
        if (line > _line)
        {
            var (end, ends) = await Scan(line - _line, cancellationToken);
            Position = end;
            _line += ends;
        }
        return _line == line && Position < file.Length;
    }

    /// <summary>The next part of up to the given number of lines, or null at the end of the file.</summary>
    public async Task<FilePart?> Next(int lines, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lines, 1);
        if (Position >= file.Length) return null;
        var (end, ends) = await Scan(lines, cancellationToken);
        var part = new FilePart(Position, end - Position, _line);
        Position = end;
        _line += ends;
        return part;
    }

    /// <summary>From Position: the offset just after the count-th line end (or the file's end), and the line ends passed.</summary>
    private async Task<(long End, long Ends)> Scan(long count, CancellationToken cancellationToken)
    {
        file.Seek(Position, SeekOrigin.Begin);
        var at = Position;
        long ends = 0;
        int read;
        while ((read = await file.ReadAsync(_buffer, cancellationToken)) > 0)
        {
            var span = _buffer.AsSpan(0, read);
            var here = span.Count((byte)'\n');
            if (ends + here < count)
            {
                ends += here;
                at += read;
                continue;
            }
            var offset = 0;
            while (true)
            {
                offset += span[offset..].IndexOf((byte)'\n') + 1;
                if (++ends == count) return (at + offset, ends);
            }
        }
        return (at, ends);
    }
}

/// <summary>The next <c>length</c> bytes of a stream, read only; disposes the stream.</summary>
internal sealed class RangeStream(Stream inner, long length) : Stream
{
    private long _read;

    private long Left => length - _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer[..(int)Math.Min(buffer.Length, Left)]);
        _read += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, Left)], cancellationToken);
        _read += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
