using System.Diagnostics;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Ingestion;
using Outcomes.Domain.Courses;

namespace Outcomes.Service.Backfill;

/// Appends a clinic's history (years of facts at once) to the event store with binary COPY, in large batches, with the
/// same de-duplication as CourseBatchWriter and the same rows Marten writes (mt_streams, mt_events, the PatientCourse
/// documents), then the outcome read model and the safety signals of the batch's courses, set-based, in the same
/// transaction: every commit leaves the store as the normal path would.
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
/// have appended and holds new ones back until the batch commits (its write phase: about a second for 50,000 facts), so
/// no fact below a position already visible is committed afterwards, as with the normal path.
public sealed class BackfillWriter
{
    private readonly CourseBatchWriter _normalPath;
    private readonly NpgsqlDataSource _database;
    private readonly IReadOnlyList<ICourseChangeObserver> _observers;
    private readonly ILogger<BackfillWriter> _logger;
    private readonly ISerializer _serializer;
    private readonly CourseBatchWriter.Sql _sql;
    private readonly int _normalBatch;
    private readonly string _claimStreams;
    private readonly string _lockEvents;
    private readonly string _copyEvents;
    private readonly string _copyCourses;

    private readonly OutcomeDefinitions _definitions;

    public BackfillWriter(IDocumentStore store, NpgsqlDataSource database, CourseBatchWriter normalPath,
        IEnumerable<ICourseChangeObserver> observers, OutcomeDefinitions definitions, IOptions<IngestionOptions> ingestion,
        ILogger<BackfillWriter> logger)
    {
        _definitions = definitions;
        _normalPath = normalPath;
        _database = database;
        _observers = observers.ToList();
        _logger = logger;
        _serializer = store.Options.Serializer();
        _sql = normalPath.Statements;
        _normalBatch = ingestion.Value.BulkBatch;
        var schema = _sql.Schema;
        // As the normal path's stream upsert, but only new streams: the rows returned are the courses this batch owns.
        _claimStreams =
            $"insert into {schema}.mt_streams (id, type, version, timestamp, tenant_id) " +
            $"select u.id, null, u.version, now(), '{CourseBatchWriter.DefaultTenant}' from unnest($1::varchar[], $2::bigint[]) as u(id, version) " +
            "on conflict (id) do nothing returning id";
        _lockEvents = $"lock table {schema}.mt_events in share row exclusive mode";
        _copyEvents =
            $"copy {schema}.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, " +
            "causation_id, correlation_id, headers) from stdin (format binary)";
        _copyCourses = $"copy {_sql.CourseTable} (id, data, mt_last_modified, mt_dotnet_type, mt_version) from stdin (format binary)";
    }

    /// Appends one batch, to its commit; the outcome of each fact as CourseBatchWriter reports it.
    public async Task<AppendOutcome[]> Append(IReadOnlyList<PendingFact> batch)
    {
        var session = Begin();
        var outcomes = await session.Append(batch).ConfigureAwait(false);
        await session.Complete().ConfigureAwait(false);
        return outcomes;
    }

    /// An upload's batches, two at a time: a batch's outcomes are known once its stored event ids are read and its
    /// courses claimed, so Append returns then, and the upload reads and prepares the next batch while this one writes;
    /// the next one's reads and claims run while this one holds mt_events. Complete waits for the last commit.
    public Session Begin() => new(this);

    public sealed class Session(BackfillWriter writer)
    {
        private Task _inFlight = Task.CompletedTask;

        public async Task<AppendOutcome[]> Append(IReadOnlyList<PendingFact> batch)
        {
            ArgumentNullException.ThrowIfNull(batch);
            var prepared = writer.Prepare(batch);
            var decided = new TaskCompletionSource<AppendOutcome[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            var previous = _inFlight;
            _inFlight = writer.Write(batch, prepared, decided);
            // The batch before must have committed: no more than two in flight, and its failure ends the upload.
            await previous.ConfigureAwait(false);
            return await decided.Task.ConfigureAwait(false);
        }

        /// Waits for the last batch's commit (its failure is the upload's).
        public Task Complete() => _inFlight;

        /// After a failed upload: waits for what is still writing, whose failure the upload's failure already reports.
        public async Task Abandon()
        {
            try
            {
                await _inFlight.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                writer._logger.LogInformation("A backfill batch still writing when its upload stopped failed too ({Error})", ex.GetType().Name);
            }
        }
    }

    /// Writes a batch to its commit (retrying whole after a concurrent writer), the facts of courses already stored through
    /// the normal path after it; tells <paramref name="decided"/> each fact's outcome as soon as it is known.
    private async Task Write(IReadOnlyList<PendingFact> batch, PreparedFacts prepared, TaskCompletionSource<AppendOutcome[]> decided)
    {
        await Task.Yield();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (outcomes, deferred) = await AppendOnce(batch, prepared, decided).ConfigureAwait(false);
                await AppendThroughNormalPath(batch, deferred, outcomes).ConfigureAwait(false);
                decided.TrySetResult(outcomes);
                return;
            }
            // A live transaction that claimed one of the batch's streams first (deadlock on the stream rows, or a
            // unique index): the batch is rolled back whole and read again, and that course is then not claimed.
            catch (PostgresException ex) when (attempt < Attempts && ex.SqlState is PostgresErrorCodes.DeadlockDetected
                or PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.SerializationFailure)
            {
                _logger.LogInformation("A backfill batch of {Count} facts met a concurrent writer on attempt {Attempt} ({State}); trying again",
                    batch.Count, attempt, ex.SqlState);
                await Task.Delay(Random.Shared.Next(10, 50 * attempt)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                decided.TrySetException(ex);
                throw;
            }
        }
    }

    private const int Attempts = 5;

    /// What each fact's rows need whatever the store holds: its content hash, its event data and headers as Marten
    /// stores them, its type names. Computed before the transaction, on every core: per fact, this is most of the
    /// service's work, and the transaction (which holds live appends back in its write phase) stays short.
    private sealed record PreparedFacts(string[] Hashes, string[] Data, string[] Headers, (string TypeName, string DotnetType)[] Types);

    private PreparedFacts Prepare(IReadOnlyList<PendingFact> batch)
    {
        var prepared = new PreparedFacts(new string[batch.Count], new string[batch.Count], new string[batch.Count],
            new (string, string)[batch.Count]);
        Parallel.For(0, batch.Count, Parallelism, i =>
        {
            var (fact, metadata) = batch[i];
            prepared.Hashes[i] = CourseBatchWriter.ContentHash(fact);
            prepared.Data[i] = _serializer.ToJson(fact.Event);
            prepared.Headers[i] = _normalPath.Headers(fact, metadata, prepared.Hashes[i]);
            prepared.Types[i] = _normalPath.EventTypeNames(fact.Event);
        });
        return prepared;
    }

    private static readonly ParallelOptions Parallelism = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// A claimed course after the batch, its document and its outcome (derived once here, in parallel, for every
    /// observer: ChangedCourse keeps what it derived).
    private sealed record NewCourse(string Stream, List<int> Facts)
    {
        public ChangedCourse Changed { get; set; } = null!;
        public string Document { get; set; } = "";
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

    /// <param name="decided">Told the outcomes once the courses are claimed, when no fact goes to the normal path (whose
    /// outcomes come after this commit). A retry after a concurrent writer may decide otherwise: the facts are still stored
    /// once, only the upload's counts may have gone by the first attempt.</param>
    private async Task<(AppendOutcome[] Outcomes, List<int> Deferred)> AppendOnce(IReadOnlyList<PendingFact> batch, PreparedFacts prepared,
        TaskCompletionSource<AppendOutcome[]> decided)
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
        await using (var read = new NpgsqlBatch(connection, transaction))
        {
            read.BatchCommands.Add(new NpgsqlBatchCommand(_sql.StoredEventIds)
            {
                Parameters = { new NpgsqlParameter<Guid[]> { TypedValue = batch.Select(p => p.Fact.EventId).Distinct().ToArray() } },
            });
            if (retractionTargets.Length > 0)
                read.BatchCommands.Add(new NpgsqlBatchCommand(_sql.RetractionTargets) { Parameters = { new NpgsqlParameter<Guid[]> { TypedValue = retractionTargets } } });
            await using var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                stored[reader.GetGuid(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
            if (retractionTargets.Length > 0)
            {
                await reader.NextResultAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    targets[reader.GetGuid(0)] = (reader.GetString(1), !reader.IsDBNull(2) && reader.GetString(2) == CourseBatchWriter.RetractionType);
            }
        }
        var storedRead = Stopwatch.GetElapsedTime(started);
        var hashes = (string[])prepared.Hashes.Clone();
        var byStream = CourseBatchWriter.Classify(batch, stored, targets, outcomes, hashes);
        if (byStream.Count == 0)
            return (outcomes, deferred);

        var claimed = new HashSet<string>(StringComparer.Ordinal);
        await using (var claim = new NpgsqlCommand(_claimStreams, connection, transaction))
        {
            claim.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = byStream.Keys.ToArray() });
            claim.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = byStream.Values.Select(f => (long)f.Count).ToArray() });
            await using var reader = await claim.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                claimed.Add(reader.GetString(0));
        }
        var readDone = Stopwatch.GetElapsedTime(started);

        // The facts of courses that were not claimed go through the normal path; the claimed courses' facts are
        // applied in memory as the inline projection would, each course on its own, on every core.
        var courses = new List<NewCourse>(claimed.Count);
        var position = new Dictionary<string, NewCourse>(claimed.Count, StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i] != AppendOutcome.Stored) continue;
            var stream = batch[i].Fact.Course.ToString();
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
        if (deferred.Count == 0)
            decided.TrySetResult(outcomes);
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
            course.Document = _serializer.ToJson(state);
            course.Changed = new ChangedCourse(state, 0, retracted);
            course.Changed.Member(_definitions);
        });
        var applied = Stopwatch.GetElapsedTime(started);

        // The documents before the lock on mt_events: they need no sequence number, and are written while the batch
        // before holds the lock.
        var modifiedAt = DateTimeOffset.UtcNow;
        // Marten's document columns, the stream's version as the document's version (its inline projection's rule).
        await using (var documents = await connection.BeginBinaryImportAsync(_copyCourses, ct).ConfigureAwait(false))
        {
            foreach (var course in courses)
            {
                documents.StartRow();
                documents.Write(course.Stream, NpgsqlDbType.Varchar);
                documents.Write(course.Document, NpgsqlDbType.Jsonb);
                documents.Write(modifiedAt, NpgsqlDbType.TimestampTz);
                documents.Write(_normalPath.CourseDotnetType, NpgsqlDbType.Varchar);
                documents.Write((long)course.Changed.Course.FactCount, NpgsqlDbType.Bigint);
            }
            await documents.CompleteAsync(ct).ConfigureAwait(false);
        }
        var coursesWritten = Stopwatch.GetElapsedTime(started);

        await using (var hold = new NpgsqlCommand(_lockEvents, connection, transaction))
            await hold.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        var sequences = new long[count];
        await using (var next = new NpgsqlCommand(_sql.NextSequences, connection, transaction))
        {
            next.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
            await using var reader = await next.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var n = 0;
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                sequences[n++] = reader.GetInt64(0);
        }
        Array.Sort(sequences);
        var locked = Stopwatch.GetElapsedTime(started);

        // Synchronous writes of what was prepared: a task per field would cost more than the field; this runs on the
        // upload's writing task, never a request thread.
        var appendedAt = DateTimeOffset.UtcNow;
        var changed = new List<ChangedCourse>(courses.Count);
        var s = 0;
        await using (var events = await connection.BeginBinaryImportAsync(_copyEvents, ct).ConfigureAwait(false))
        {
            foreach (var course in courses)
            {
                var version = 0L;
                foreach (var i in course.Facts)
                {
                    var (fact, metadata) = batch[i];
                    version++;
                    events.StartRow();
                    events.Write(sequences[s++], NpgsqlDbType.Bigint);
                    events.Write(fact.EventId, NpgsqlDbType.Uuid);
                    events.Write(course.Stream, NpgsqlDbType.Varchar);
                    events.Write(version, NpgsqlDbType.Bigint);
                    events.Write(prepared.Data[i], NpgsqlDbType.Jsonb);
                    events.Write(prepared.Types[i].TypeName, NpgsqlDbType.Varchar);
                    events.Write(CourseBatchWriter.DefaultTenant, NpgsqlDbType.Varchar);
                    events.Write(appendedAt, NpgsqlDbType.TimestampTz);
                    events.Write(prepared.Types[i].DotnetType, NpgsqlDbType.Varchar);
                    events.Write(false, NpgsqlDbType.Boolean);
                    WriteText(events, metadata.CausationId);
                    WriteText(events, metadata.CorrelationId);
                    events.Write(prepared.Headers[i], NpgsqlDbType.Jsonb);
                }
                // What the course derived in parallel, kept: a record's copy takes its cached facts and outcome along.
                changed.Add(course.Changed with { LastSequence = sequences[s - 1] });
            }
            await events.CompleteAsync(ct).ConfigureAwait(false);
        }
        var eventsWritten = Stopwatch.GetElapsedTime(started);

        var observedTransaction = new CourseBatchWriter.ObservedTransaction(connection, transaction);
        foreach (var observer in _observers)
            await observer.OnCoursesChanged(changed, observedTransaction, ct).ConfigureAwait(false);
        var observed = Stopwatch.GetElapsedTime(started);
        await transaction.CommitAsync(ct).ConfigureAwait(false);

        // Cumulative milliseconds per phase, to see where a batch's time goes (docs/benchmarks.md, "Backfill").
        _logger.LogDebug("Backfilled {Facts} facts to {Courses} new courses ({Duplicates} duplicates, {Deferred} facts of stored courses to the " +
            "normal path); elapsed ms after stored ids {Stored:F1}, claims {Read:F1}, courses applied {Applied:F1}, documents {CoursesMs:F1}, " +
            "lock and sequences {Locked:F1}, events {Events:F1}, read models {Observed:F1}, commit {Committed:F1}",
            count, changed.Count, batch.Count - count - deferred.Count, deferred.Count, storedRead.TotalMilliseconds, readDone.TotalMilliseconds,
            applied.TotalMilliseconds, coursesWritten.TotalMilliseconds, locked.TotalMilliseconds,
            eventsWritten.TotalMilliseconds, observed.TotalMilliseconds, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return (outcomes, deferred);
    }

    private static void WriteText(NpgsqlBinaryImporter importer, string? value)
    {
        if (value is null) importer.WriteNull();
        else importer.Write(value, NpgsqlDbType.Varchar);
    }
}
