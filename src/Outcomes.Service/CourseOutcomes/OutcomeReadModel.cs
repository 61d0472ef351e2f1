using System.Diagnostics;
using System.Threading.Channels;
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

    private const string CourseStreams = CourseStreamReader.CourseStreams;

    public async Task<OutcomeReadModelState> State(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"""
            select (select count(*) from {Schema}.mt_streams where {CourseStreams}),
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
    /// time there. A course nothing was stored for since the position holds exactly its state then in its row (ingestion
    /// writes rows and facts in one transaction), decoded as of that time like a latest report's; only the courses with
    /// an event after the position are replayed from their events up to it (CourseStreamReader), one at a time. Without
    /// current rows (<paramref name="rowsCurrent"/> false: a rebuild is running) every course is replayed. Both ways give
    /// the members CohortMember.AtPosition gives, in course-key order.
    public async Task<PositionedMembers> ReadAsOf(long position, IReadOnlyCollection<string>? clinics, bool rowsCurrent,
        CancellationToken cancellationToken, NpgsqlDataSource? from = null)
    {
        await using var connection = await (from ?? database).OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var storeTime = await EventStorePosition.StoreTimeAtAsync(connection, transaction, Schema, position, cancellationToken);
        HashSet<string>? changed = null;
        PositionedMembers? stored = null;
        try
        {
            if (rowsCurrent)
            {
                changed = await courses.ChangedAfterAsync(connection, transaction, clinics, position, cancellationToken);
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
            await foreach (var course in courses.ReadAsync(connection, transaction, clinics, position, changed, cancellationToken))
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

    /// Reads members from rows of (course key, encoded outcome[, stored record key]), decoded as of the store's time at
    /// their position.
    internal async Task<PositionedMembers> ReadRows(NpgsqlCommand rows, long position, DateTimeOffset storeTime, CancellationToken cancellationToken,
        bool withRecordKeys = false)
    {
        var recordKeys = withRecordKeys ? new List<short>() : null;
        // The connection's thread reads rows into blocks while another decodes the blocks already read: on two cores
        // decoding then costs little more than reading.
        var blocks = Channel.CreateBounded<RowBlock>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        // A decoder that fails stops reading; the reader must not then wait for room in the channel for ever.
        using var decoderFailed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var decoding = Task.Run(async () =>
        {
            try
            {
                return await Decode(blocks.Reader, storeTime);
            }
            catch
            {
                await decoderFailed.CancelAsync();
                throw;
            }
        }, CancellationToken.None);
        try
        {
            await using var reader = await rows.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
            var block = new RowBlock();
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = reader.GetString(0);
                var length = (int)reader.GetBytes(1, 0, null, 0, 0);
                if (!block.Fits(length))
                {
                    await blocks.Writer.WriteAsync(block, decoderFailed.Token);
                    block = new RowBlock();
                }
                reader.GetBytes(1, 0, block.Reserve(key, length), block.Used - length, length);
                // Read on this side, in row order (the decoder keeps the same order): sequential access reads columns in turn.
                recordKeys?.Add(reader.IsDBNull(2) ? (short)-1 : reader.GetInt16(2));
            }
            await blocks.Writer.WriteAsync(block, decoderFailed.Token);
            blocks.Writer.Complete();
        }
        catch (Exception ex)
        {
            blocks.Writer.TryComplete(ex);
            // When the decoder failed, its exception is the one to report; otherwise it ends on this one.
            await decoding.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            if (decoding.IsFaulted && !cancellationToken.IsCancellationRequested && ex is OperationCanceledException)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(decoding.Exception!.InnerException!);
            throw;
        }
        var (keys, members, context) = await decoding;
        // Rows come in storage order. Course-key order makes floating-point sums (weekly means) add up in the same
        // order as a recomputation from the events, so both give the identical report.
        var order = new int[members.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(keys.ToArray(), order, StringComparer.Ordinal);
        var ordered = new CohortMember[order.Length];
        var orderedKeys = recordKeys is null ? null : new short[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            ordered[i] = members[order[i]];
            if (orderedKeys is not null) orderedKeys[i] = recordKeys![order[i]];
        }
        return new PositionedMembers(position, storeTime, ordered) { Lease = context, RecordKeys = orderedKeys };
    }

    private async Task<(List<string> Keys, List<CohortMember> Members, CourseOutcomeCodec.DecodeContext Context)> Decode(
        ChannelReader<RowBlock> blocks, DateTimeOffset storeTime)
    {
        var context = new CourseOutcomeCodec.DecodeContext();
        var keys = new List<string>();
        var members = new List<CohortMember>();
        await foreach (var block in blocks.ReadAllAsync())
        {
            for (var i = 0; i < block.Keys.Count; i++)
            {
                var (offset, length) = block.Rows[i];
                keys.Add(block.Keys[i]);
                members.Add(CourseOutcomeCodec.Decode(context.Key(block.Keys[i]), block.Bytes.AsSpan(offset, length), definitions, storeTime, context));
            }
            block.Release();
        }
        return (keys, members, context);
    }

    /// Rows read but not yet decoded: their keys and their encoded outcomes, back to back in one array.
    private sealed class RowBlock
    {
        private const int Size = 1 << 20;

        // Rented: a report streams some sixty of these through, each decoded at once.
        public byte[] Bytes { get; private set; } = System.Buffers.ArrayPool<byte>.Shared.Rent(Size);

        public void Release()
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(Bytes);
            Bytes = [];
        }
        public int Used { get; private set; }
        public List<string> Keys { get; } = new(Size / 256);
        public List<(int Offset, int Length)> Rows { get; } = new(Size / 256);

        public bool Fits(int length) => Keys.Count == 0 || Used + length <= Bytes.Length;

        /// Room for one row's bytes; returns the array to read them into, at Used - length.
        public byte[] Reserve(string key, int length)
        {
            if (Used + length > Bytes.Length)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(Bytes);
                Bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
            }
            Keys.Add(key);
            Rows.Add((Used, length));
            Used += length;
            return Bytes;
        }
    }

    /// Derives every course's row again from its events, in batches, reporting progress. Safe beside running
    /// ingestion: a row is never replaced by one derived from fewer facts.
    public async Task<RebuildProgress> Rebuild(IProgress<RebuildProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long total;
        await using (var count = database.CreateCommand($"select count(*) from {Schema}.mt_streams where {CourseStreams}"))
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
            $"delete from {Table.QualifiedName} o where not exists (select 1 from {Schema}.mt_streams s where s.id = o.course_key)"))
            await orphans.ExecuteNonQueryAsync(cancellationToken);

        var result = new RebuildProgress(done, total, facts, clock.Elapsed);
        progress?.Report(result);
        logger.LogInformation("Outcome read model rebuilt: {Courses} courses from {Facts} facts in {Seconds:F1} s",
            done, facts, clock.Elapsed.TotalSeconds);
        return result;
    }
}
