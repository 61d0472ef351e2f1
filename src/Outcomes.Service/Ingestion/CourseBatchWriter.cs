using Outcomes.Domain.Courses;
using System.Diagnostics;
using JasperFx.Events;
using Marten;
using Npgsql;
using NpgsqlTypes;
using Outcomes.Service.EventStore;

namespace Outcomes.Service.Ingestion;

/// Stored; a duplicate of a stored fact (same event id, same content: a redelivery); a conflict (the event id
/// of a stored fact sent again with other content: never stored, refused with its own rule); or a retraction that names
/// no fact of its course, or names a retraction (never stored, refused with ClinicEventReader's rules).
public enum AppendOutcome { Stored, Duplicate, Conflict, RetractsUnknown, RetractsRetraction }

/// A validated fact with the metadata it is stored with.
public sealed record PendingFact(CourseFact Fact, FactMetadata Metadata);

/// Tracing metadata kept on each stored event.
public sealed record FactMetadata(string? CorrelationId, string? CausationId, string ReceivedVia);

/// Appends a batch of validated facts in one transaction, skipping event ids already stored. Shared by
/// the AMQP consumers (through CourseAppender) and the bulk upload, so both keep the same rules.
///
/// It writes Marten's tables itself, a few set-based statements per batch instead of Marten's append function per
/// course: the events into mt_events and the streams into mt_streams, with exactly the columns and values Marten
/// writes, so that Marten reads everything back as its own (FetchStreamAsync, QueryAllRawEvents, statistics). Each
/// course's state (PatientCourse.Apply over its facts) comes from this process's CourseCache, or is rebuilt from its
/// stream, and goes to the observers (the outcome read model, which keeps the course's facts, and the safety signals);
/// no other copy of the course is stored (docs/architecture.md, "One representation of a course").
public sealed class CourseBatchWriter
{
    private readonly IDocumentStore _store;
    private readonly NpgsqlDataSource _database;
    private readonly IReadOnlyList<ICourseChangeObserver> _observers;
    private readonly ILogger<CourseBatchWriter> _logger;
    private readonly ISerializer _serializer;
    private readonly EventTables _tables;
    private readonly CourseCache _cache;
    private readonly CourseStreamReader _streams;

    /// The courses this writer holds (tests).
    internal CourseCache Cache => _cache;

    /// The wire message type of a retraction, as the messageType header keeps it (the backfill reads the targets too).
    internal static string RetractionType => RetractionMessageType;

    public CourseBatchWriter(IDocumentStore store, NpgsqlDataSource database, IEnumerable<ICourseChangeObserver> observers,
        ILogger<CourseBatchWriter> logger, CourseStreamReader streams, EventTables tables,
        Microsoft.Extensions.Options.IOptions<IngestionOptions> options)
    {
        _streams = streams;
        _cache = new CourseCache(options.Value.CourseCache);
        _store = store;
        _database = database;
        _observers = observers.ToList();
        _logger = logger;
        _serializer = store.Options.Serializer();
        _tables = tables;
    }

    /// Another writer appending to the same course at the same moment makes a batch fail on the
    /// stream version or the event id; trying again at once almost always succeeds, because the
    /// other transaction has committed by then and de-duplication skips what it stored.
    public async Task<AppendOutcome[]> Append(IReadOnlyList<PendingFact> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AppendOnce(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < ImmediateAttempts)
            {
                _logger.LogInformation("Appending a batch of {Count} facts failed on attempt {Attempt} ({Error}); trying again",
                    batch.Count, attempt, ex.GetType().Name);
                await Task.Delay(Random.Shared.Next(5, 20 * attempt)).ConfigureAwait(false);
            }
        }
    }

    private const int ImmediateAttempts = 5;

    private sealed record StreamState(long Version, bool Archived);

    private async Task<AppendOutcome[]> AppendOnce(IReadOnlyList<PendingFact> batch)
    {
        var outcomes = new AppendOutcome[batch.Count];
        var ct = CancellationToken.None;
        var started = Stopwatch.GetTimestamp();
        await using var connection = await _database.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);

        var courseIds = batch.Select(p => p.Fact.Course.ToString()).Distinct(StringComparer.Ordinal).ToArray();
        var eventIds = batch.Select(p => p.Fact.EventId).Distinct().ToArray();

        // Another writer (this process's bulk upload, or another service instance) may hold facts for the
        // same courses. A transaction-scoped advisory lock per course, taken in key order (no deadlocks),
        // makes the event-id check, the stream versions and the course documents read below all see the
        // same state; the unique index on the event id stays the last guard.
        // Event id -> the content hash of the fact stored under it (null for events stored before hashes were kept).
        var stored = new Dictionary<Guid, string?>();
        // The facts the batch's retractions name, where stored: their stream and whether they are retractions themselves.
        var retractionTargets = batch.Select(p => p.Fact.Event).OfType<FactRetracted>().Select(r => r.RetractedEventId).Distinct().ToArray();
        var targets = new Dictionary<Guid, (string Stream, bool IsRetraction)>();
        var streams = new Dictionary<string, StreamState>(StringComparer.Ordinal);
        await using (var read = new NpgsqlBatch(connection, transaction))
        {
            read.BatchCommands.Add(Command(LockCourses, Parameter(courseIds.Select(CourseLock).Distinct().Order().ToArray())));
            read.BatchCommands.Add(Command(_tables.StoredEventIds, Parameter(eventIds)));
            read.BatchCommands.Add(Command(_tables.StreamVersions, Parameter(courseIds)));
            if (retractionTargets.Length > 0)
                read.BatchCommands.Add(Command(_tables.RetractionTargets, Parameter(retractionTargets)));
            await using var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.NextResultAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                stored[reader.GetGuid(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
            await reader.NextResultAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                streams[reader.GetString(0)] = new StreamState(reader.IsDBNull(1) ? 0 : reader.GetInt64(1), !reader.IsDBNull(2) && reader.GetBoolean(2));
            if (retractionTargets.Length > 0)
            {
                await reader.NextResultAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    targets[reader.GetGuid(0)] = (reader.GetString(1), !reader.IsDBNull(2) && reader.GetString(2) == RetractionMessageType);
            }
        }

        var hashes = new string[batch.Count];
        var byStream = Classify(batch, stored, targets, outcomes, hashes);
        if (byStream.Count == 0)
            return outcomes;
        foreach (var stream in byStream.Keys)
            if (streams.TryGetValue(stream, out var state) && state.Archived)
                throw new InvalidOperationException($"Attempted to append event to archived stream with Id '{stream}'.");
        var courses = await Courses(byStream.Keys, streams, connection, transaction, ct).ConfigureAwait(false);

        var readDone = Stopwatch.GetElapsedTime(started);
        var count = byStream.Values.Sum(f => f.Count);
        var sequences = new List<long>(count);
        await using (var next = new NpgsqlCommand(_tables.NextSequences, connection, transaction))
        {
            next.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
            await using var reader = await next.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                sequences.Add(reader.GetInt64(0));
        }
        sequences.Sort();

        var events = new EventColumns(count);
        var streamIds = new string[byStream.Count];
        var streamVersions = new long[byStream.Count];
        var changed = new List<ChangedCourse>(byStream.Count);
        var appendedAt = DateTimeOffset.UtcNow;
        var hashOf = new Dictionary<Guid, string>(count);
        for (var i = 0; i < batch.Count; i++)
            if (outcomes[i] == AppendOutcome.Stored)
                hashOf[batch[i].Fact.EventId] = hashes[i];
        var s = 0;
        foreach (var (stream, facts) in byStream)
        {
            var version = streams.TryGetValue(stream, out var state) ? state.Version : 0;
            var (_, _, course, carried) = courses[stream];
            var retracted = false;
            foreach (var (fact, metadata) in facts)
            {
                retracted |= fact.Event is FactRetracted;
                version++;
                var (typeName, dotnetType) = EventTypeNames(fact.Event);
                events.Add(sequences[events.Count], fact.EventId, stream, version, _serializer.ToJson(fact.Event), typeName,
                    dotnetType, metadata.CorrelationId, metadata.CausationId, Headers(fact, metadata, hashOf[fact.EventId]));
                course.Apply(fact.EventId, fact.Event);
            }
            streamIds[s] = stream;
            streamVersions[s] = version;
            changed.Add(new ChangedCourse(course, events.Sequences[events.Count - 1], retracted, carried));
            s++;
        }

        var applied = Stopwatch.GetElapsedTime(started);
        await using (var write = new NpgsqlBatch(connection, transaction))
        {
            write.BatchCommands.Add(Command(_tables.UpsertStreams, Parameter(streamIds), Parameter(streamVersions)));
            write.BatchCommands.Add(Command(_tables.InsertEvents, Parameter(events.Sequences), Parameter(events.Ids), Parameter(events.Streams),
                Parameter(events.Versions), Parameter(events.Data), Parameter(events.Types), Parameter(events.DotnetTypes),
                Parameter(events.CorrelationIds), Parameter(events.CausationIds), Parameter(events.Headers),
                new NpgsqlParameter<DateTimeOffset> { TypedValue = appendedAt }));
            await write.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        var written = Stopwatch.GetElapsedTime(started);
        var observed = new ObservedTransaction(connection, transaction);
        foreach (var observer in _observers)
            await observer.OnCoursesChanged(changed, observed, ct).ConfigureAwait(false);
        var observersDone = Stopwatch.GetElapsedTime(started);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        _cache.Put(changed.Select((c, i) => new CourseCache.Entry(streamIds[i], streamVersions[i], c.Course, c.CarriedOn)).ToList());

        // Cumulative milliseconds per phase, to see where a batch's time goes (docs/benchmarks.md).
        _logger.LogDebug("Appended {Facts} facts to {Courses} courses ({Duplicates} duplicates skipped); elapsed ms after locks and reads {Read:F1}, " +
            "sequences and apply {Applied:F1}, writes {Written:F1}, observers {Observed:F1}, commit {Committed:F1}",
            count, byStream.Count, batch.Count - count, readDone.TotalMilliseconds, applied.TotalMilliseconds, written.TotalMilliseconds,
            observersDone.TotalMilliseconds, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return outcomes;
    }

    /// The state of each course the batch appends to, before its new facts: from the cache where it holds the course at
    /// its stream's stored version, rebuilt from the stream where the stream exists but the cache does not hold it so
    /// (another instance or the backfill appended meanwhile, or the process restarted), new for a course without a stream.
    /// Cached courses are taken out: they go back only with the batch's commit (CourseCache).
    /// Each entry carries what the observers carried from the cached course's last batch (nothing for the others).
    private async Task<Dictionary<string, CourseCache.Entry>> Courses(IEnumerable<string> keys, Dictionary<string, StreamState> streams,
        NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        var courses = new Dictionary<string, CourseCache.Entry>(StringComparer.Ordinal);
        List<string>? rebuild = null;
        foreach (var key in keys)
        {
            var version = streams.TryGetValue(key, out var state) ? state.Version : 0;
            if (version == 0)
                courses[key] = new CourseCache.Entry(key, 0, PatientCourse.Open(CourseKey.Parse(key)), null);
            else if (_cache.Take(key, version) is { } cached)
                courses[key] = cached;
            else
                (rebuild ??= []).Add(key);
        }
        if (rebuild is null) return courses;
        var rebuilt = await _streams.LatestAsync(connection, transaction, rebuild, ct).ConfigureAwait(false);
        foreach (var key in rebuild)
            courses[key] = new CourseCache.Entry(key, streams[key].Version,
                rebuilt.TryGetValue(key, out var course) ? course : PatientCourse.Open(CourseKey.Parse(key)), null);
        return courses;
    }

    /// The batch's transaction as observers see it (the backfill hands its own the same way).
    internal sealed class ObservedTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction) : ICourseChangeTransaction
    {
        public async Task<int> ExecuteAsync(NpgsqlBatchCommand statement, CancellationToken cancellationToken)
        {
            await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { statement } };
            return await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        public async Task<object?> ScalarAsync(NpgsqlBatchCommand statement, CancellationToken cancellationToken)
        {
            await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { statement } };
            var value = await batch.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return value is DBNull ? null : value;
        }
    }

    /// Decides each fact of a batch against the event ids already stored (id -> content hash, null for facts stored
    /// before hashes were kept), the facts its retractions name (id -> stream, is a retraction) and the batch's earlier
    /// facts: a new fact is Stored, the same id with the same content a Duplicate, with other content a Conflict, a
    /// retraction of no fact of its course RetractsUnknown, of a retraction RetractsRetraction. Returns the new facts by
    /// stream, streams in order of first appearance, each stream's facts in batch order: the order Marten's own append
    /// gives sequence numbers and versions. Shared with the backfill, so that both decide by the same rules (it passes
    /// hashes computed ahead).
    internal static Dictionary<string, List<PendingFact>> Classify(IReadOnlyList<PendingFact> batch, Dictionary<Guid, string?> stored,
        Dictionary<Guid, (string Stream, bool IsRetraction)> targets, AppendOutcome[] outcomes, string[] hashes)
    {
        var byStream = new Dictionary<string, List<PendingFact>>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            var pending = batch[i];
            hashes[i] ??= ContentHash(pending.Fact);
            if (stored.TryGetValue(pending.Fact.EventId, out var storedHash))
            {
                outcomes[i] = storedHash is null || storedHash == hashes[i] ? AppendOutcome.Duplicate : AppendOutcome.Conflict;
                continue;
            }
            var key = pending.Fact.Course.ToString();
            if (pending.Fact.Event is FactRetracted retraction)
            {
                // The named fact must be in this course's stream already, or earlier in this batch: a retraction is kept
                // after its fact, so every replay up to a position sees the fact before its retraction.
                outcomes[i] = !targets.TryGetValue(retraction.RetractedEventId, out var target) || target.Stream != key
                    ? AppendOutcome.RetractsUnknown
                    : target.IsRetraction ? AppendOutcome.RetractsRetraction : AppendOutcome.Stored;
                if (outcomes[i] != AppendOutcome.Stored) continue;
            }
            stored[pending.Fact.EventId] = hashes[i];
            targets[pending.Fact.EventId] = (key, pending.Fact.Event is FactRetracted);
            if (!byStream.TryGetValue(key, out var facts))
                byStream[key] = facts = [];
            facts.Add(pending);
            outcomes[i] = AppendOutcome.Stored;
        }
        return byStream;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Type, (string TypeName, string DotnetType)> _eventTypes = new();

    /// The type alias and .NET type name Marten stores for an event, as Marten's own event mapping gives them.
    internal (string TypeName, string DotnetType) EventTypeNames(object data) =>
        _eventTypes.GetOrAdd(data.GetType(), static (_, arg) =>
        {
            using var session = arg.Store.LightweightSession();
            var e = session.Events.BuildEvent(arg.Data);
            return (e.EventTypeName, e.DotNetTypeName);
        }, (Store: _store, Data: data));

    /// The headers Marten would write for the event (its equivalence test holds the two to the same jsonb), written
    /// directly: a dictionary through Marten's serializer cost a few per cent of a backfill's CPU. The part before the
    /// hash depends only on the message type and the route, so it is built once for each pair.
    internal string Headers(CourseFact fact, FactMetadata metadata, string contentHash) =>
        string.Concat(_headerPrefixes.GetOrAdd((fact.MessageType, metadata.ReceivedVia), static key =>
            $"{{\"{EventTables.MessageTypeHeader}\":{Quoted(key.MessageType)},\"{EventTables.ReceivedViaHeader}\":{Quoted(key.ReceivedVia)},\"{EventTables.ContentHashHeader}\":"),
            // A hash is lowercase hex (ContentHash): nothing to escape.
            "\"", contentHash, "\"}");

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string MessageType, string ReceivedVia), string> _headerPrefixes = new();

    private static string Quoted(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    /// The wire message type of a retraction, as the messageType header keeps it.
    private static readonly string RetractionMessageType =
        Outcomes.Contracts.WireContract.MessageTypes.Single(p => p.Value == typeof(Outcomes.Contracts.FactRetracted)).Key;

    /// What makes two facts the same fact: their course, type and stored values (not the body's spelling, so a
    /// re-send with other spacing, property order or offset notation is a duplicate). SHA-256, first 16 bytes, hex.
    /// The hashed text is "course\ntype\nJSON", as UTF-8; the JSON is serialised to UTF-8 directly (the same bytes as the
    /// text's encoding, without a string between).
    public static string ContentHash(CourseFact fact)
    {
        // Written into this thread's buffers and hashed incrementally: the JSON, the prefix's string and their
        // concatenation were a tenth of a backfill's allocations (every fact is hashed once).
        var state = _hashState ??= new HashState();
        Span<byte> prefix = stackalloc byte[512];
        if (!System.Text.Unicode.Utf8.TryWrite(prefix, $"{fact.Course}\n{fact.MessageType}\n", out var written))
            return ContentHashOf(System.Text.Encoding.UTF8.GetBytes($"{fact.Course}\n{fact.MessageType}\n"), fact, state);
        return ContentHashOf(prefix[..written], fact, state);
    }

    private static string ContentHashOf(ReadOnlySpan<byte> prefix, CourseFact fact, HashState state)
    {
        state.Json.ResetWrittenCount();
        state.Writer.Reset(state.Json);
        System.Text.Json.JsonSerializer.Serialize(state.Writer, fact.Event, fact.Event.GetType(), HashJson);
        state.Writer.Flush();
        state.Sha256.AppendData(prefix);
        state.Sha256.AppendData(state.Json.WrittenSpan);
        Span<byte> hash = stackalloc byte[32];
        state.Sha256.GetHashAndReset(hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// A thread's buffers for ContentHash (the backfill hashes on every core at once).
    private sealed class HashState
    {
        public HashState() => Writer = new System.Text.Json.Utf8JsonWriter(Json);

        public System.Buffers.ArrayBufferWriter<byte> Json { get; } = new(1024);
        public System.Text.Json.Utf8JsonWriter Writer { get; }
        public System.Security.Cryptography.IncrementalHash Sha256 { get; } =
            System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
    }

    [ThreadStatic] private static HashState? _hashState;

    private static readonly System.Text.Json.JsonSerializerOptions HashJson = new()
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// The columns of the events appended in one batch, as arrays for unnest.
    private sealed class EventColumns(int capacity)
    {
        public int Count { get; private set; }
        public long[] Sequences { get; } = new long[capacity];
        public Guid[] Ids { get; } = new Guid[capacity];
        public string[] Streams { get; } = new string[capacity];
        public long[] Versions { get; } = new long[capacity];
        public string[] Data { get; } = new string[capacity];
        public string[] Types { get; } = new string[capacity];
        public string[] DotnetTypes { get; } = new string[capacity];
        public string?[] CorrelationIds { get; } = new string?[capacity];
        public string?[] CausationIds { get; } = new string?[capacity];
        public string[] Headers { get; } = new string[capacity];

        public void Add(long sequence, Guid id, string stream, long version, string data, string type, string dotnetType,
            string? correlationId, string? causationId, string headers)
        {
            var i = Count++;
            (Sequences[i], Ids[i], Streams[i], Versions[i], Data[i], Types[i], DotnetTypes[i], CorrelationIds[i], CausationIds[i], Headers[i]) =
                (sequence, id, stream, version, data, type, dotnetType, correlationId, causationId, headers);
        }
    }

    /// Takes the batch's courses' advisory locks in key order (no deadlocks between batches).
    private const string LockCourses = "select count(*)::int from (select pg_advisory_xact_lock(k) from unnest($1) as k order by k) locked";

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter Parameter<T>(T[] values) => new NpgsqlParameter<T[]> { TypedValue = values };

    private static NpgsqlParameter Parameter(string?[] values) =>
        new NpgsqlParameter<string?[]> { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    /// Marten's own append path, kept for the equivalence test that holds this writer to it.
    internal async Task<AppendOutcome[]> AppendThroughMarten(IReadOnlyList<PendingFact> batch)
    {
        var outcomes = new AppendOutcome[batch.Count];
        await using var session = _store.LightweightSession();
        await session.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        var ids = batch.Select(p => p.Fact.EventId).Distinct().ToArray();
        var stored = new HashSet<Guid>(await session.AdvancedSql
            .QueryAsync<Guid>(_tables.StoredEventIdsThroughMarten, CancellationToken.None, ids)
            .ConfigureAwait(false));
        var byStream = new Dictionary<string, List<IEvent>>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            var (fact, metadata) = batch[i];
            if (!stored.Add(fact.EventId))
            {
                outcomes[i] = AppendOutcome.Duplicate;
                continue;
            }
            var e = session.Events.BuildEvent(fact.Event);
            e.Id = fact.EventId;
            e.CorrelationId = metadata.CorrelationId;
            e.CausationId = metadata.CausationId;
            e.SetHeader(EventTables.MessageTypeHeader, fact.MessageType);
            e.SetHeader(EventTables.ReceivedViaHeader, metadata.ReceivedVia);
            e.SetHeader(EventTables.ContentHashHeader, ContentHash(fact));
            var key = fact.Course.ToString();
            if (!byStream.TryGetValue(key, out var events))
                byStream[key] = events = [];
            events.Add(e);
            outcomes[i] = AppendOutcome.Stored;
        }
        foreach (var (stream, events) in byStream)
            session.Events.Append(stream, events.ToArray<object>());
        await session.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
        return outcomes;
    }

    /// The advisory lock key of a course. string.GetHashCode is randomised per process; partitions
    /// and locks are shared across processes, so this hash is fixed (FNV-1a).
    public static long CourseLock(string course)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in course)
            hash = unchecked((hash ^ c) * 1099511628211UL);
        return unchecked((long)hash);
    }
}
