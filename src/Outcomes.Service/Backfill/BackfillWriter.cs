using System.Diagnostics;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.EventStore;
using Outcomes.Service.Ingestion;
using Outcomes.Domain.Courses;

namespace Outcomes.Service.Backfill;

/// Appends a clinic's history (years of facts at once) to the event store with binary COPY, in large batches, with the
/// same de-duplication as CourseBatchWriter and the same rows Marten writes (mt_streams, mt_events), and the outcome
/// read model and the safety signals of the batch's courses, set-based, in the same transaction: every commit leaves
/// the store as the normal path would. Everything but the events is written before the lock described below; the events' rows are encoded before the transaction (CopyRows), so the lock is held for little
/// more than PostgreSQL's reading of them.
///
/// Only courses with no stored stream are backfilled. A batch claims its courses by inserting their stream rows
/// (`on conflict do nothing`): a course whose stream exists (live facts, an earlier upload, or a course split across
/// two batches) is not claimed, and its facts go through the normal path (CourseBatchWriter, per-course locks)
/// after the batch commits. A live fact for a claimed course waits on the claimed stream row and, once the batch
/// commits, fails on the stream version and is retried by CourseBatchWriter against the stored course: it is
/// stored once, on top of the backfilled history.
///
/// The event-store position stays consistent (a report as of position P, a release point at P): sequence numbers
/// are taken only after the batch holds mt_events in SHARE ROW EXCLUSIVE mode, which waits for live transactions that
/// have appended and holds new ones back until the batch commits (its write phase: well under a second for 50,000 facts), so
/// no fact below a position already visible is committed afterwards, as with the normal path.
public sealed class BackfillWriter
{
    private readonly CourseBatchWriter _normalPath;
    private readonly NpgsqlDataSource _database;
    private readonly IReadOnlyList<ICourseChangeObserver> _observers;
    private readonly ILogger<BackfillWriter> _logger;
    private readonly ISerializer _serializer;
    private readonly EventTables _tables;
    private readonly int _normalBatch;
    private bool? _maySkipKeyChecks;

    private readonly OutcomeDefinitions _definitions;

    public BackfillWriter(IDocumentStore store, NpgsqlDataSource database, EventTables tables, CourseBatchWriter normalPath,
        IEnumerable<ICourseChangeObserver> observers, OutcomeDefinitions definitions, IOptions<IngestionOptions> ingestion,
        ILogger<BackfillWriter> logger)
    {
        _definitions = definitions;
        _normalPath = normalPath;
        _database = database;
        _observers = observers.ToList();
        _logger = logger;
        _serializer = store.Options.Serializer();
        _tables = tables;
        _normalBatch = ingestion.Value.BulkBatch;
    }

    /// An upload's batches, Session.InFlight at a time: Submit returns once the oldest has committed, with the batch's
    /// outcomes to come at its commit, so the upload reads and prepares the next batch while these write, and their
    /// claims run while one holds mt_events. Complete waits for the last commit.
    public Session Begin() => new(this);

    public sealed class Session(BackfillWriter writer)
    {
        /// Batches written at once: while one holds the lock on mt_events, the other claims and applies its courses
        /// and writes their read models (about as long as the events of one). Three were no faster on 2 cores
        /// (docs/benchmarks.md, "Backfill"), only larger.
        public const int InFlight = 2;

        private readonly Queue<Task> _writing = new();

        public async Task<Task<AppendOutcome[]>> Submit(IReadOnlyList<PendingFact> batch)
        {
            ArgumentNullException.ThrowIfNull(batch);
            var prepared = writer.Prepare(batch);
            var writing = writer.Write(batch, prepared);
            _writing.Enqueue(writing);
            // The oldest batch must have committed before another is taken: memory stays bounded, and its failure ends
            // the upload.
            if (_writing.Count >= InFlight)
                await _writing.Dequeue().ConfigureAwait(false);
            return writing;
        }

        /// Waits for every batch's commit (a failure is the upload's).
        public Task Complete() => Task.WhenAll(_writing);

        /// After a failed upload: waits for what is still writing, whose failure the upload's failure already reports.
        public async Task Abandon()
        {
            try
            {
                await Complete().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                writer._logger.LogInformation("A backfill batch still writing when its upload stopped failed too ({Error})", ex.GetType().Name);
            }
        }
    }

    /// Writes a batch to its commit, the facts of courses already stored through the normal path after it; each fact's
    /// outcome. The first attempt does not look up which event ids are stored (a lookup per fact into an index the size
    /// of the store, about a fifth of the whole write at the M tier): facts of stored courses go to the normal path,
    /// which looks them up, and a fact of a course this batch claims can only meet its event id stored under another
    /// course, which the unique index on event ids refuses. Then the batch is rolled back and written again, looked up,
    /// and that fact refused as a conflict. A concurrent writer's deadlock or unique violation is retried the same way.
    private async Task<AppendOutcome[]> Write(IReadOnlyList<PendingFact> batch, PreparedFacts prepared)
    {
        await Task.Yield();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (outcomes, deferred) = await AppendOnce(batch, prepared, lookUpStoredIds: attempt > 1).ConfigureAwait(false);
                await AppendThroughNormalPath(batch, deferred, outcomes).ConfigureAwait(false);
                return outcomes;
            }
            catch (PostgresException ex) when (attempt < Attempts && ex.SqlState is PostgresErrorCodes.DeadlockDetected
                or PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.SerializationFailure)
            {
                _logger.LogInformation("A backfill batch of {Count} facts was refused on attempt {Attempt} ({State} {Constraint}); writing it again, " +
                    "stored event ids looked up", batch.Count, attempt, ex.SqlState, ex.ConstraintName);
                if (attempt > 1)
                    await Task.Delay(Random.Shared.Next(10, 50 * attempt)).ConfigureAwait(false);
            }
        }
    }

    private const int Attempts = 5;

    /// What each fact's rows need whatever the store holds: its content hash, its course's stream key, and its event row
    /// after the columns known only under the lock (id, data and headers as Marten stores them, type names, tenant,
    /// archived, causation, correlation) in COPY's binary form. Computed before the transaction, on every core: per fact,
    /// this is most of the service's work, and the transaction (which holds live appends back in its write phase) stays short.
    private sealed record PreparedFacts(string[] Hashes, string[] Streams, byte[][] Tails);

    /// Fields of an event row: seq_id, stream_id, version, timestamp, then the nine of its tail.
    private const short EventFields = 13;

    private PreparedFacts Prepare(IReadOnlyList<PendingFact> batch)
    {
        var prepared = new PreparedFacts(new string[batch.Count], new string[batch.Count], new byte[batch.Count][]);
        Parallel.For(0, batch.Count, Parallelism, () => new CopyRows(1024), (i, _, tail) =>
        {
            var (fact, metadata) = batch[i];
            var hash = CourseBatchWriter.ContentHash(fact);
            var (typeName, dotnetType) = _normalPath.EventTypeNames(fact.Event);
            prepared.Hashes[i] = hash;
            prepared.Streams[i] = fact.Course.ToString();
            tail.Clear();
            tail.Uuid(fact.EventId).Jsonb(_serializer.ToJson(fact.Event)).Text(typeName).Text(EventTables.DefaultTenant)
                .Text(dotnetType).Boolean(false).Text(metadata.CausationId).Text(metadata.CorrelationId)
                .Jsonb(_normalPath.Headers(fact, metadata, hash));
            prepared.Tails[i] = tail.Written.ToArray();
            return tail;
        }, _ => { });
        return prepared;
    }

    private static readonly ParallelOptions Parallelism = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// A claimed course after the batch and its outcome (derived once here, in parallel, for every observer:
    /// ChangedCourse keeps what it derived).
    private sealed record NewCourse(string Stream, List<int> Facts)
    {
        public ChangedCourse Changed { get; set; } = null!;
    }

    /// Facts of courses that already had a stream go through the normal path, in its own batch size (its per-course
    /// locks are taken per batch).
    private async Task AppendThroughNormalPath(IReadOnlyList<PendingFact> batch, List<int> deferred, AppendOutcome[] outcomes)
    {
        for (var start = 0; start < deferred.Count; start += _normalBatch)
        {
            var part = deferred.Skip(start).Take(_normalBatch).ToList();
            var appended = await _normalPath.Append(part.Select(i => batch[i]).ToList()).ConfigureAwait(false);
            for (var j = 0; j < part.Count; j++)
                outcomes[part[j]] = appended[j];
        }
    }

    /// <param name="lookUpStoredIds">Whether to read which of the batch's event ids are stored (see Write).</param>
    private async Task<(AppendOutcome[] Outcomes, List<int> Deferred)> AppendOnce(IReadOnlyList<PendingFact> batch, PreparedFacts prepared,
        bool lookUpStoredIds)
    {
        var ct = CancellationToken.None;
        var started = Stopwatch.GetTimestamp();
        var outcomes = new AppendOutcome[batch.Count];
        var deferred = new List<int>();
        await using var connection = await _database.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);

        // As the normal path reads them: the event ids already stored, and the stored facts the batch's retractions name.
        var stored = new Dictionary<Guid, string?>();
        var targets = new Dictionary<Guid, (string Stream, bool IsRetraction)>();
        var retractionTargets = batch.Select(p => p.Fact.Event).OfType<Outcomes.Contracts.FactRetracted>().Select(r => r.RetractedEventId)
            .Distinct().ToArray();
        if (lookUpStoredIds)
        {
            await using var read = new NpgsqlCommand(_tables.StoredEventIds, connection, transaction);
            read.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = batch.Select(p => p.Fact.EventId).Distinct().ToArray() });
            await using var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                stored[reader.GetGuid(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
        }
        if (retractionTargets.Length > 0)
        {
            await using var read = new NpgsqlCommand(_tables.RetractionTargets, connection, transaction);
            read.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = retractionTargets });
            await using var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                targets[reader.GetGuid(0)] = (reader.GetString(1), !reader.IsDBNull(2) && reader.GetString(2) == CourseBatchWriter.RetractionType);
        }
        var storedRead = Stopwatch.GetElapsedTime(started);
        var hashes = (string[])prepared.Hashes.Clone();
        var byStream = CourseBatchWriter.Classify(batch, stored, targets, outcomes, hashes);
        if (byStream.Count == 0)
            return (outcomes, deferred);

        var claimed = new HashSet<string>(StringComparer.Ordinal);
        await using (var claim = new NpgsqlCommand(_tables.ClaimStreams, connection, transaction))
        {
            claim.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = byStream.Keys.ToArray() });
            claim.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = byStream.Values.Select(f => (long)f.Count).ToArray() });
            await using var reader = await claim.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                claimed.Add(reader.GetString(0));
        }
        var readDone = Stopwatch.GetElapsedTime(started);

        // The facts of courses that were not claimed go through the normal path; the claimed courses' facts are
        // applied in memory (PatientCourse.Apply), each course on its own, on every core.
        var courses = new List<NewCourse>(claimed.Count);
        var position = new Dictionary<string, NewCourse>(claimed.Count, StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i] != AppendOutcome.Stored) continue;
            var stream = prepared.Streams[i];
            if (!claimed.Contains(stream))
            {
                deferred.Add(i);
                continue;
            }
            if (!position.TryGetValue(stream, out var course))
                courses.Add(position[stream] = course = new NewCourse(stream, []));
            course.Facts.Add(i);
        }
        var count = courses.Sum(c => c.Facts.Count);
        if (count == 0)
        {
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return (outcomes, deferred);
        }
        Parallel.ForEach(courses, Parallelism, course =>
        {
            var state = PatientCourse.Open(CourseKey.Parse(course.Stream));
            var retracted = false;
            foreach (var i in course.Facts)
            {
                retracted |= batch[i].Fact.Event is Outcomes.Contracts.FactRetracted;
                state.Apply(batch[i].Fact.EventId, batch[i].Fact.Event);
            }
            course.Changed = new ChangedCourse(state, 0, retracted);
            course.Changed.Member(_definitions);
        });
        var applied = Stopwatch.GetElapsedTime(started);

        // The read model and the safety signals before the lock too: they need the courses, not the events' sequence
        // numbers, and commit with the rest all the same. Under the lock only the sequences and the events remain.
        var observedTransaction = new CourseBatchWriter.ObservedTransaction(connection, transaction);
        var changed = courses.Select(c => c.Changed).ToList();
        foreach (var observer in _observers)
            await observer.OnCoursesChanged(changed, observedTransaction, ct).ConfigureAwait(false);
        var observed = Stopwatch.GetElapsedTime(started);

        await using (var hold = new NpgsqlCommand(_tables.LockEvents, connection, transaction))
            await hold.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        var sequences = new long[count];
        await using (var next = new NpgsqlCommand(_tables.NextSequences, connection, transaction))
        {
            next.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
            await using var reader = await next.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var n = 0;
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                sequences[n++] = reader.GetInt64(0);
        }
        Array.Sort(sequences);
        var locked = Stopwatch.GetElapsedTime(started);

        var appendedAt = DateTimeOffset.UtcNow;
        var s = 0;
        // SET LOCAL ends with the transaction, which commits right after the events: nothing else runs unchecked.
        await SkipStreamKeyChecks(connection, transaction, ct).ConfigureAwait(false);
        await using (var events = await connection.BeginRawBinaryCopyAsync(_tables.CopyEvents, ct).ConfigureAwait(false))
        {
            // Sent in pieces of about a megabyte, so that PostgreSQL reads while the rest is copied together.
            var rows = new CopyRows(1 << 21).Header();
            foreach (var course in courses)
            {
                var version = 0L;
                foreach (var i in course.Facts)
                {
                    version++;
                    rows.Row(EventFields).Bigint(sequences[s++]).Text(course.Stream).Bigint(version).TimestampTz(appendedAt)
                        .Raw(prepared.Tails[i]);
                }
                if (rows.Length >= 1 << 20)
                {
                    await events.WriteAsync(rows.Written, ct).ConfigureAwait(false);
                    rows.Clear();
                }
            }
            rows.Trailer();
            await events.WriteAsync(rows.Written, ct).ConfigureAwait(false);
        }
        var eventsWritten = Stopwatch.GetElapsedTime(started);

        await transaction.CommitAsync(ct).ConfigureAwait(false);

        // Cumulative milliseconds per phase, to see where a batch's time goes (docs/benchmarks.md, "Backfill").
        _logger.LogDebug("Backfilled {Facts} facts to {Courses} new courses ({Duplicates} duplicates, {Deferred} facts of stored courses to the " +
            "normal path); elapsed ms after stored ids {Stored:F1}, claims {Read:F1}, courses applied {Applied:F1}, " +
            "read models {Observed:F1}, lock and sequences {Locked:F1}, events {Events:F1}, commit {Committed:F1}",
            count, changed.Count, batch.Count - count - deferred.Count, deferred.Count, storedRead.TotalMilliseconds, readDone.TotalMilliseconds,
            applied.TotalMilliseconds, observed.TotalMilliseconds, locked.TotalMilliseconds,
            eventsWritten.TotalMilliseconds, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return (outcomes, deferred);
    }

    /// Marten's foreign key from each event to its stream is checked row by row, a trigger per event: about half of the
    /// events' COPY (docs/benchmarks.md, "Backfill"). Every event copied here belongs to a stream this transaction has just
    /// inserted and holds, so the key holds by construction; where the role may (a superuser, or PostgreSQL 15's
    /// `grant set on parameter session_replication_role`), the check is skipped for the COPY only, as pg_restore's
    /// --disable-triggers does. Otherwise the key is checked as usual, only slower.
    private async Task SkipStreamKeyChecks(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        _maySkipKeyChecks ??= await MaySetReplicationRole(connection, transaction, ct).ConfigureAwait(false);
        if (_maySkipKeyChecks != true)
            return;
        await using var off = new NpgsqlCommand("set local session_replication_role = replica", connection, transaction);
        await off.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    internal static async Task<bool> MaySetReplicationRole(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        await using var may = new NpgsqlCommand(
            "select current_setting('is_superuser') = 'on' or has_parameter_privilege('session_replication_role', 'set')", connection, transaction);
        return (bool)(await may.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
