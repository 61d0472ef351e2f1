namespace Outcomes.Service.EventStore;

/// The statements over Marten's own tables (mt_events, mt_streams, mt_events_sequence) that bypass Marten: the one place
/// that knows their columns and the values Marten writes, for the ingestion writer (CourseBatchWriter), the backfill
/// (BackfillWriter) and the read model's counts. The texts are fixed per schema and built once, so that Npgsql prepares
/// each once per connection and a batch allocates nothing for them. CourseBatchWriterTests holds the rows written with
/// them to Marten's own append path, column by column: upgrading Marten means re-running it.
public sealed class EventTables
{
    /// The tenant Marten writes without multi-tenancy.
    public const string DefaultTenant = "*DEFAULT*";

    /// The event headers (mt_events.headers) the writers keep beside Marten's metadata: the wire message type, how the
    /// fact arrived, and the fact's content hash, compared when its event id arrives again.
    public const string MessageTypeHeader = "messageType";
    public const string ReceivedViaHeader = "receivedVia";
    public const string ContentHashHeader = "contentHash";

    /// Course streams are keyed clinic/patientKey/course; other streams (the export audit) have no facts.
    public const string CourseStreams = "id like '%/%/%'";

    public EventTables(string schema)
    {
        Schema = schema;
        Events = $"{schema}.mt_events";
        Streams = $"{schema}.mt_streams";
        // Joins to unnest rather than "= any($1)": once prepared, PostgreSQL may settle on a generic plan, which
        // assumes an array of 10 and on a small table scans it, comparing every row with each of the batch's
        // hundreds of keys (40 ms per batch of 250 measured); a join to unnest (estimated 100 rows) probes the index.
        StoredEventIds =
            $"select e.id, e.headers ->> '{ContentHashHeader}' from unnest($1::uuid[]) as k(id) join {Events} e on e.id = k.id";
        StreamVersions = $"select s.id, s.version, s.is_archived from unnest($1::varchar[]) as k(id) join {Streams} s on s.id = k.id";
        RetractionTargets =
            $"select e.id, e.stream_id, e.headers ->> '{MessageTypeHeader}' from unnest($1::uuid[]) as k(id) join {Events} e on e.id = k.id";
        StoredEventIdsThroughMarten = $"select id from {Events} where id = any(?)";
        NextSequences = $"select nextval('{schema}.mt_events_sequence') from generate_series(1, $1)";

        // A stream row as mt_quick_append_events writes it: ($1 ids, $2 versions).
        var streamRows =
            $"insert into {Streams} (id, type, version, timestamp, tenant_id) " +
            $"select u.id, null, u.version, now(), '{DefaultTenant}' from unnest($1::varchar[], $2::bigint[]) as u(id, version) ";
        // As mt_quick_append_events: a new stream is inserted with its final version, an existing one has its version
        // and timestamp moved on.
        UpsertStreams = streamRows + "on conflict (id) do update set version = greatest(mt_streams.version, excluded.version), timestamp = now()";
        // Only new streams: the rows returned are the courses a backfill batch owns.
        ClaimStreams = streamRows + "on conflict (id) do nothing returning id";

        InsertEvents =
            $"insert into {Events} (seq_id, id, stream_id, version, data, bdata, type, tenant_id, timestamp, mt_dotnet_type, " +
            "is_archived, causation_id, correlation_id, headers) " +
            $"select u.seq, u.id, u.stream, u.version, u.data, null, u.type, '{DefaultTenant}', $11, u.dotnet_type, false, u.causation, " +
            "u.correlation, u.headers " +
            "from unnest($1::bigint[], $2::uuid[], $3::varchar[], $4::bigint[], $5::jsonb[], $6::varchar[], $7::varchar[], $8::varchar[], " +
            "$9::varchar[], $10::jsonb[]) as u(seq, id, stream, version, data, type, dotnet_type, correlation, causation, headers)";
        LockEvents = $"lock table {Events} in share row exclusive mode";
        // The columns in the order of the backfill's row bytes: those known only under the lock first, then each fact's
        // tail (BackfillWriter.PreparedFacts.Tails), encoded before the transaction.
        CopyEvents =
            $"copy {Events} (seq_id, stream_id, version, timestamp, id, data, type, tenant_id, mt_dotnet_type, is_archived, " +
            "causation_id, correlation_id, headers) from stdin (format binary)";

        CountCourseStreams = $"select count(*) from {Streams} where {CourseStreams}";
    }

    public string Schema { get; }

    /// The qualified table names.
    public string Events { get; }
    public string Streams { get; }

    /// ($1 event ids) -> the stored ones with their content hash (null for events stored before hashes were kept).
    public string StoredEventIds { get; }

    /// ($1 stream ids) -> the stored ones with their version and whether they are archived.
    public string StreamVersions { get; }

    /// ($1 event ids) -> the stored ones with their stream and wire message type.
    public string RetractionTargets { get; }

    /// The stored event ids among a list, in Marten's AdvancedSql form (? for the array): Marten's own append path, kept
    /// for the writer's equivalence test.
    public string StoredEventIdsThroughMarten { get; }

    /// ($1 count) -> that many new sequence numbers (positions).
    public string NextSequences { get; }

    /// ($1 stream ids, $2 final versions): new streams inserted, existing ones moved on.
    public string UpsertStreams { get; }

    /// ($1 stream ids, $2 final versions): new streams inserted; returns the ids inserted (streams that existed are not).
    public string ClaimStreams { get; }

    /// ($1..$10 the events' columns as arrays, $11 the append time): the events' rows, as Marten writes them.
    public string InsertEvents { get; }

    /// Waits for live appends to commit and holds new ones back until the transaction ends (the backfill's write phase).
    public string LockEvents { get; }

    /// Binary COPY of event rows (seq_id, stream_id, version, timestamp, then the tail).
    public string CopyEvents { get; }

    /// The number of course streams.
    public string CountCourseStreams { get; }

    /// A condition true where a stream with the key in the given column exists.
    public string StreamExists(string keyColumn) => $"exists (select 1 from {Streams} s where s.id = {keyColumn})";
}
