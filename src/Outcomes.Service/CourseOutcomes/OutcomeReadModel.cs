using System.Diagnostics;
using Marten;
using Npgsql;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.EventStore;

namespace Outcomes.Service.CourseOutcomes;

/// Where the outcome read model stands against the event store.
public sealed record OutcomeReadModelState(long Courses, long CurrentRows, long Rows)
{
    /// Every course has a row derived under the current definitions and row layouts.
    public bool IsCurrent => CurrentRows == Courses && Rows == Courses;
}

/// The members of a cohort read at one consistent event-store position.
/// Dispose once the members have been used: read-model members hold pooled arrays that go back then.
public sealed record PositionedMembers(long Position, DateTimeOffset StoreTime, IReadOnlyList<CohortMember> Members) : IDisposable
{
    internal IDisposable? Lease { get; init; }

    /// Each member's record key as a release stored it (-1 where it did not); null when not read from a release.
    public IReadOnlyList<short>? RecordKeys { get; init; }

    public void Dispose() => Lease?.Dispose();
}

public sealed record RebuildProgress(long CoursesDone, long CoursesTotal, long Facts, TimeSpan Elapsed);

/// The per-course outcome read model: written by ingestion with every batch (CourseAppender), read by reports,
/// rebuilt from the event store when the definitions or the row layout change (or it was never built).
public sealed class OutcomeReadModel(IDocumentStore store, NpgsqlDataSource database, CourseStreamReader courses, OutcomeDefinitions definitions,
    ILogger<OutcomeReadModel> logger)
{
    private const int RebuildBatch = 1_000;

    public CourseOutcomeTable Table { get; } = new(store.Options.Events.DatabaseSchemaName);

    private string Schema => Table.Schema;

    public async Task<OutcomeReadModelState> State(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"""
            select ({courses.Tables.CountCourseStreams}),
                   count(*) filter (where {Table.CurrentRowsPredicate("$1", "$2", "$3")}),
                   count(*)
            from {Table.QualifiedName}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = CourseOutcomeTable.DefinitionsKey(definitions) });
        command.Parameters.Add(new NpgsqlParameter { Value = (int)CourseOutcomeCodec.Layout });
        command.Parameters.Add(new NpgsqlParameter { Value = (int)CourseFactsCodec.Layout });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new OutcomeReadModelState(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// Reads the members of the given clinics (all when null) and the position they stand at, in one snapshot:
    /// ingestion writes rows and facts in the same transaction, so the rows are exactly the facts up to it. From a
    /// streaming replica (<paramref name="from"/>) the snapshot is of what it has replayed, which WAL order keeps
    /// just as consistent: the position stated is the replica's.
    public async Task<PositionedMembers> ReadLatest(IReadOnlyCollection<string>? clinics, CancellationToken cancellationToken,
        NpgsqlDataSource? from = null)
    {
        await using var connection = await (from ?? database).OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var (position, storeTime) = await EventStorePosition.LatestAsync(connection, transaction, Schema, cancellationToken);
        await using var rows = new NpgsqlCommand(
            $"select course_key, outcome from {Table.QualifiedName} where definitions = $1" + (clinics is null ? "" : " and clinic_id = any($2)"),
            connection, transaction);
        rows.Parameters.Add(new NpgsqlParameter { Value = CourseOutcomeTable.DefinitionsKey(definitions) });
        if (clinics is not null) rows.Parameters.Add(new NpgsqlParameter { Value = clinics.ToArray() });
        var members = await ReadRows(rows, position, storeTime, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return members;
    }

    /// Reads the members of the given clinics (all when null) as of an earlier position, in one snapshot with the store's
    /// time there, the courses split between rows and replay by CoursesAsOf: a row is decoded as of that time like a
    /// latest report's, a replayed course is derived by CohortMember.AtPosition; without current rows
    /// (<paramref name="rowsCurrent"/> false: a rebuild is running) every course is replayed. Both ways give the same
    /// members, in course-key order.
    public async Task<PositionedMembers> ReadAsOf(long position, IReadOnlyCollection<string>? clinics, bool rowsCurrent,
        CancellationToken cancellationToken, NpgsqlDataSource? from = null)
    {
        await using var connection = await (from ?? database).OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var storeTime = await EventStorePosition.StoreTimeAtAsync(connection, transaction, Schema, position, cancellationToken);
        var asOf = await CoursesAsOf.OpenAsync(courses, connection, transaction, clinics, position, rowsCurrent, cancellationToken);
        PositionedMembers? stored = null;
        try
        {
            if (asOf.Replayed is { } changed)
            {
                await using var rows = new NpgsqlCommand(
                    $"select course_key, outcome from {Table.QualifiedName} o where definitions = $1" +
                    (clinics is null ? "" : " and clinic_id = any($3)") +
                    " and not exists (select 1 from unnest($2::text[]) as c(k) where c.k = o.course_key)", connection, transaction);
                rows.Parameters.Add(new NpgsqlParameter { Value = CourseOutcomeTable.DefinitionsKey(definitions) });
                rows.Parameters.Add(new NpgsqlParameter { Value = changed.ToArray() });
                if (clinics is not null) rows.Parameters.Add(new NpgsqlParameter { Value = clinics.ToArray() });
                stored = await ReadRows(rows, position, storeTime, cancellationToken);
            }
            var members = new List<CohortMember>(stored?.Members ?? []);
            await foreach (var course in asOf.ReplayAsync(cancellationToken))
                members.Add(CohortMember.AtPosition(course.Key, course.Facts, definitions, storeTime));
            await transaction.CommitAsync(cancellationToken);
            var ordered = members.ToArray();
            Array.Sort(ordered.Select(m => m.Course.ToString()).ToArray(), ordered, StringComparer.Ordinal);
            return new PositionedMembers(position, storeTime, ordered) { Lease = stored?.Lease };
        }
        catch
        {
            stored?.Dispose();
            throw;
        }
    }

    // How many rows the last read returned: the next read's estimate for its no-GC region (ReportHeap).
    private long _rowsLastRead;

    /// Reads members from rows of (course key, encoded outcome[, stored record key]), decoded as of the store's time at
    /// their position, in course-key order.
    internal async Task<PositionedMembers> ReadRows(NpgsqlCommand rows, long position, DateTimeOffset storeTime, CancellationToken cancellationToken,
        bool withRecordKeys = false)
    {
        // All rows are read first (a report's rows are ~200 bytes each: 60 MB at 300,000 courses), then decoded in
        // course-key order. Course-key order makes floating-point sums add up in the same order as a recomputation from
        // the events, so both give the identical report; decoding in that order also lays the members out in memory in
        // the order the report walks them, which measured ~150 ms faster at 300,000 courses than decoding in storage
        // order as rows arrived and sorting after (every pass then jumped across the heap).
        // Sized by the last read: the first report of a process runs without a region.
        var quiet = ReportHeap.Quiet(Interlocked.Read(ref _rowsLastRead));
        var blocks = new List<RowBlock>();
        var keys = new List<string>();
        var at = new List<(int Block, int Offset, int Length)>();
        var recordKeys = withRecordKeys ? new List<short>() : null;
        try
        {
            await using (var reader = await rows.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken))
            {
                var block = new RowBlock();
                blocks.Add(block);
                while (await reader.ReadAsync(cancellationToken))
                {
                    keys.Add(reader.GetString(0));
                    var length = (int)reader.GetBytes(1, 0, null, 0, 0);
                    if (!block.Fits(length))
                    {
                        block = new RowBlock();
                        blocks.Add(block);
                    }
                    var offset = block.Reserve(length);
                    reader.GetBytes(1, 0, block.Bytes, offset, length);
                    at.Add((blocks.Count - 1, offset, length));
                    recordKeys?.Add(reader.IsDBNull(2) ? (short)-1 : reader.GetInt16(2));
                }
            }

            Interlocked.Exchange(ref _rowsLastRead, keys.Count);
            var order = new int[keys.Count];
            for (var i = 0; i < order.Length; i++) order[i] = i;
            Array.Sort(keys.ToArray(), order, StringComparer.Ordinal);
            var ordered = new CohortMember[order.Length];
            // Two halves on two threads, each with its own context (a context is one thread's).
            var contexts = new CourseOutcomeCodec.DecodeContext[2];
            var half = order.Length / 2;
            try
            {
                Parallel.For(0, contexts.Length, h =>
                {
                    var context = contexts[h] = new CourseOutcomeCodec.DecodeContext();
                    for (var i = h == 0 ? 0 : half; i < (h == 0 ? half : order.Length); i++)
                    {
                        var (b, offset, length) = at[order[i]];
                        ordered[i] = CourseOutcomeCodec.Decode(context.Key(keys[order[i]]), blocks[b].Bytes.AsSpan(offset, length), definitions,
                            storeTime, context);
                    }
                });
            }
            catch (AggregateException e)
            {
                new Leases(contexts, quiet).Dispose();
                // The row that could not be decoded, as a single-threaded decode would have reported it.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
            short[]? orderedKeys = null;
            if (recordKeys is not null)
            {
                orderedKeys = new short[order.Length];
                for (var i = 0; i < order.Length; i++) orderedKeys[i] = recordKeys[order[i]];
            }
            return new PositionedMembers(position, storeTime, ordered) { Lease = new Leases(contexts, quiet), RecordKeys = orderedKeys };
        }
        catch
        {
            quiet?.Dispose();
            throw;
        }
        finally
        {
            foreach (var block in blocks) block.Release();
        }
    }

    /// The decode contexts whose series arrays the members use, returned together when the report is done, and the
    /// report's no-GC region (ReportHeap), ended then.
    private sealed class Leases(CourseOutcomeCodec.DecodeContext[] contexts, IDisposable? quiet) : IDisposable
    {
        public void Dispose()
        {
            foreach (var context in contexts) context?.Dispose();
            quiet?.Dispose();
        }
    }

    /// Rows read but not yet decoded: their encoded outcomes, back to back in one array.
    private sealed class RowBlock
    {
        private const int Size = 1 << 20;

        // A report holds all of its rows' bytes at once (some sixty of these at 300,000 courses); a pool of its own keeps
        // them between reports instead of allocating them on the large-object heap each time.
        private static readonly System.Buffers.ArrayPool<byte> Pool = System.Buffers.ArrayPool<byte>.Create(Size, 256);

        public byte[] Bytes { get; private set; } = Pool.Rent(Size);

        public void Release()
        {
            if (Bytes.Length == Size) Pool.Return(Bytes);
            Bytes = [];
        }

        public int Used { get; private set; }

        public bool Fits(int length) => Used == 0 || Used + length <= Bytes.Length;

        /// Room for one row's bytes; returns where in Bytes to read them.
        public int Reserve(int length)
        {
            if (Used + length > Bytes.Length)
            {
                // A row larger than a block has a block of its own.
                Release();
                Bytes = new byte[length];
            }
            var offset = Used;
            Used += length;
            return offset;
        }
    }

    /// Derives every course's row again from its events, in batches, reporting progress. Safe beside running
    /// ingestion: a row is never replaced by one derived from fewer facts.
    public async Task<RebuildProgress> Rebuild(IProgress<RebuildProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long total;
        await using (var count = database.CreateCommand(courses.Tables.CountCourseStreams))
            total = (long)(await count.ExecuteScalarAsync(cancellationToken))!;


        long done = 0, facts = 0;
        var pending = new List<CourseOutcomeRow>(RebuildBatch);
        var lastReport = TimeSpan.Zero;

        async Task Flush()
        {
            if (pending.Count == 0) return;
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection) { BatchCommands = { Table.Upsert(pending, definitions) } };
            await batch.ExecuteNonQueryAsync(cancellationToken);
            done += pending.Count;
            pending.Clear();
            if (clock.Elapsed - lastReport >= TimeSpan.FromSeconds(1))
            {
                lastReport = clock.Elapsed;
                progress?.Report(new RebuildProgress(done, total, facts, clock.Elapsed));
            }
        }

        // Every course as of the latest position, streamed; rows are written on other connections as they fill.
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken))
        {
            var (position, _) = await EventStorePosition.LatestAsync(connection, transaction, Schema, cancellationToken);
            await foreach (var course in courses.ReadAsync(connection, transaction, null, position, cancellationToken: cancellationToken))
            {
                pending.Add(CourseOutcomeRow.From(course, definitions));
                facts += course.FactCount;
                if (pending.Count >= RebuildBatch) await Flush();
            }
            await Flush();
        }

        // Rows of courses that no longer have events (a schema reset under a kept table) would haunt every report.
        await using (var orphans = database.CreateCommand(
            $"delete from {Table.QualifiedName} o where not {courses.Tables.StreamExists("o.course_key")}"))
            await orphans.ExecuteNonQueryAsync(cancellationToken);

        var result = new RebuildProgress(done, total, facts, clock.Elapsed);
        progress?.Report(result);
        logger.LogInformation("Outcome read model rebuilt: {Courses} courses from {Facts} facts in {Seconds:F1} s",
            done, facts, clock.Elapsed.TotalSeconds);
        return result;
    }
}
