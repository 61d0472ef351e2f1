using System.Diagnostics;
using Npgsql;

namespace Outcomes.Bench.Export;

/// The raw ceiling: PostgreSQL's COPY of the rows the assessments dataset is built from, read to the end and
/// thrown away. The rows are the PHQ-9 events stored at the position; the columns are what an assessment row is
/// made of: the stream (subject and attributes), the version (order within the course) and the jsonb payload
/// (time, items, total).
internal static class CopyCeiling
{
    public static string Query(string schema, long position) =>
        $"select stream_id, version, data from {schema}.mt_events where seq_id <= {position} " +
        $"and type = 'phq_9_completed' and stream_id like '%/%/%'";

    public static async Task<Timed> Text(NpgsqlDataSource database, string schema, long position, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        using var reader = await connection.BeginTextExportAsync($"COPY ({Query(schema, position)}) TO STDOUT", cancellationToken);
        var buffer = new char[1 << 16];
        long rows = 0;
        int n;
        // Text COPY escapes newlines inside values, so each line end is one row.
        while ((n = await reader.ReadAsync(buffer, cancellationToken)) > 0) rows += buffer.AsSpan(0, n).Count('\n');
        return new Timed(rows, clock.Elapsed);
    }

    /// The binary form read as raw bytes, not decoded: rows is the count the caller already knows.
    public static async Task<Timed> Binary(NpgsqlDataSource database, string schema, long position, long rows,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        await using (var raw = await connection.BeginRawBinaryCopyAsync($"COPY ({Query(schema, position)}) TO STDOUT (FORMAT BINARY)", cancellationToken))
        {
            var buffer = new byte[1 << 16];
            while (await raw.ReadAsync(buffer, cancellationToken) > 0)
            {
            }
        }
        return new Timed(rows, clock.Elapsed);
    }
}

/// Rows handled in a time.
internal readonly record struct Timed(long Rows, TimeSpan Elapsed)
{
    public double RowsPerSecond => Rows / Elapsed.TotalSeconds;
}
