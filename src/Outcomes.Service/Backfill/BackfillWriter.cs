using System.Diagnostics;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Patients;

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

    public BackfillWriter(IDocumentStore store, NpgsqlDataSource database, CourseBatchWriter normalPath,
        IEnumerable<ICourseChangeObserver> observers, IOptions<IngestionOptions> ingestion, ILogger<BackfillWriter> logger)
    {
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

    /// Appends a batch; the outcome of each fact as CourseBatchWriter reports it.
    public async Task<AppendOutcome[]> Append(IReadOnlyList<PendingFact> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (outcomes, deferred) = await AppendOnce(batch).ConfigureAwait(false);
                await AppendThroughNormalPath(batch, deferred, outcomes).ConfigureAwait(false);
                return outcomes;
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
        }
    }

    private const int Attempts = 5;

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

    private async Task<(AppendOutcome[] Outcomes, List<int> Deferred)> AppendOnce(IReadOnlyList<PendingFact> batch)
    {
        var ct = CancellationToken.None;
        var started = Stopwatch.GetTimestamp();
        var outcomes = new AppendOutcome[batch.Count];
        var deferred = new List<int>();
        await using var connection = await _database.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);

        var stored = new Dictionary<Guid, string?>();
        await using (var read = new NpgsqlCommand(_sql.StoredEventIds, connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = batch.Select(p => p.Fact.EventId).Distinct().ToArray() });
            await using var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                stored[reader.GetGuid(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
        }
        var hashes = new string[batch.Count];
        var byStream = CourseBatchWriter.Classify(batch, stored, outcomes, hashes);
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

        // The facts of courses that were not claimed, and the event ids this batch stores, with their content hashes.
        var hashOf = new Dictionary<Guid, string>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i] != AppendOutcome.Stored) continue;
            if (claimed.Contains(batch[i].Fact.Course.ToString()))
                hashOf[batch[i].Fact.EventId] = hashes[i];
            else
                deferred.Add(i);
        }
        var count = hashOf.Count;
        if (count == 0)
        {
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return (outcomes, deferred);
        }

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

        // The events, serialised while the COPY streams them (PostgreSQL indexes one buffer while the next is written),
        // and each claimed course applied in memory as the inline projection would. Synchronous writes: a task per
        // field would cost more than the field; this runs on the upload's writing task, never a request thread.
        var appendedAt = DateTimeOffset.UtcNow;
        var changed = new List<ChangedCourse>(claimed.Count);
        var s = 0;
        await using (var events = await connection.BeginBinaryImportAsync(_copyEvents, ct).ConfigureAwait(false))
        {
            foreach (var (stream, facts) in byStream)
            {
                if (!claimed.Contains(stream)) continue;
                PatientCourse? course = null;
                var version = 0L;
                foreach (var (fact, metadata) in facts)
                {
                    version++;
                    var (typeName, dotnetType) = _normalPath.EventTypeNames(fact.Event);
                    events.StartRow();
                    events.Write(sequences[s++], NpgsqlDbType.Bigint);
                    events.Write(fact.EventId, NpgsqlDbType.Uuid);
                    events.Write(stream, NpgsqlDbType.Varchar);
                    events.Write(version, NpgsqlDbType.Bigint);
                    events.Write(_serializer.ToJson(fact.Event), NpgsqlDbType.Jsonb);
                    events.Write(typeName, NpgsqlDbType.Varchar);
                    events.Write(CourseBatchWriter.DefaultTenant, NpgsqlDbType.Varchar);
                    events.Write(appendedAt, NpgsqlDbType.TimestampTz);
                    events.Write(dotnetType, NpgsqlDbType.Varchar);
                    events.Write(false, NpgsqlDbType.Boolean);
                    WriteText(events, metadata.CausationId);
                    WriteText(events, metadata.CorrelationId);
                    events.Write(_normalPath.Headers(fact, metadata, hashOf[fact.EventId]), NpgsqlDbType.Jsonb);
                    course = PatientCourseProjection.Apply(course, stream, fact.EventId, fact.Event);
                }
                changed.Add(new ChangedCourse(course!, sequences[s - 1]));
            }
            await events.CompleteAsync(ct).ConfigureAwait(false);
        }
        var eventsWritten = Stopwatch.GetElapsedTime(started);

        // Marten's document columns, the stream's version as the document's version (its inline projection's rule).
        await using (var documents = await connection.BeginBinaryImportAsync(_copyCourses, ct).ConfigureAwait(false))
        {
            foreach (var change in changed)
            {
                documents.StartRow();
                documents.Write(change.Course.Id, NpgsqlDbType.Varchar);
                documents.Write(_serializer.ToJson(change.Course), NpgsqlDbType.Jsonb);
                documents.Write(appendedAt, NpgsqlDbType.TimestampTz);
                documents.Write(_normalPath.CourseDotnetType, NpgsqlDbType.Varchar);
                documents.Write((long)change.Course.FactCount, NpgsqlDbType.Bigint);
            }
            await documents.CompleteAsync(ct).ConfigureAwait(false);
        }
        var coursesWritten = Stopwatch.GetElapsedTime(started);

        foreach (var observer in _observers)
            await observer.OnCoursesChanged(changed, connection, transaction, ct).ConfigureAwait(false);
        var observed = Stopwatch.GetElapsedTime(started);
        await transaction.CommitAsync(ct).ConfigureAwait(false);

        // Cumulative milliseconds per phase, to see where a batch's time goes (docs/benchmarks.md, "Backfill").
        _logger.LogDebug("Backfilled {Facts} facts to {Courses} new courses ({Duplicates} duplicates, {Deferred} facts of stored courses to the " +
            "normal path); elapsed ms after reads and claims {Read:F1}, lock and sequences {Locked:F1}, events {Events:F1}, courses {CoursesMs:F1}, " +
            "read models {Observed:F1}, commit {Committed:F1}",
            count, changed.Count, batch.Count - count - deferred.Count, deferred.Count, readDone.TotalMilliseconds, locked.TotalMilliseconds,
            eventsWritten.TotalMilliseconds, coursesWritten.TotalMilliseconds, observed.TotalMilliseconds, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return (outcomes, deferred);
    }

    private static void WriteText(NpgsqlBinaryImporter importer, string? value)
    {
        if (value is null) importer.WriteNull();
        else importer.Write(value, NpgsqlDbType.Varchar);
    }
}
