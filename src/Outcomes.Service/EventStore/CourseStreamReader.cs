using System.Runtime.CompilerServices;
using Marten;
using Npgsql;
using Outcomes.Domain.Courses;

namespace Outcomes.Service.EventStore;

/// Courses as of an event-store position, read from Marten's event table one course at a time, so that memory does not
/// grow with the store: only the asked clinics' streams, only the course fact types, up to the position, each course
/// built by its own rules (PatientCourse.Apply). Reports as of an earlier position, exports that replay and the outcome
/// read model's rebuild all read courses this way. Runs on the caller's connection and snapshot (transaction), so that
/// the position and the courses are read at one instant.
public sealed class CourseStreamReader(IDocumentStore store, EventTables tables)
{
    /// The sort runs in the server; memory enough to keep a mid-sized cohort's sort off the disk.
    private const string SortMemory = "64MB";

    private Dictionary<string, Type>? _factTypes;

    public string Schema => tables.Schema;

    /// The statements over Marten's tables (counts of course streams, for the read model).
    public EventTables Tables => tables;

    /// Marten's stored type name of each course fact type (the mt_events.type column), so the query reads facts only.
    private Dictionary<string, Type> FactTypes() => _factTypes ??= PatientCourse.FactTypes.ToDictionary(
        t => ((Marten.Events.EventGraph)((DocumentStore)store).Options.Events).EventMappingFor(t).EventTypeName, StringComparer.Ordinal);

    /// Each course of the clinics (every clinic when null; only the given streams when <paramref name="streams"/> is
    /// set) with the facts stored at or before the position, in stream-key order. A stream without facts yields nothing.
    public async IAsyncEnumerable<PatientCourse> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        IReadOnlyCollection<string>? clinics, long position, IReadOnlyCollection<string>? streams = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (clinics is { Count: 0 } || streams is { Count: 0 }) yield break;
        var types = FactTypes();
        if (transaction is not null)
        {
            await using var memory = new NpgsqlCommand($"set local work_mem = '{SortMemory}'", connection, transaction);
            await memory.ExecuteNonQueryAsync(cancellationToken);
        }
        // One query for all clinics: the table is scanned and sorted once (per clinic, each query scanned it again).
        await using var command = new NpgsqlCommand(
            $"select stream_id, id, type, data from {Schema}.mt_events where seq_id <= @p and type = any(@types)" +
            (clinics is null ? "" : " and stream_id like any(@clinics)") +
            (streams is null ? "" : " and stream_id = any(@streams)") +
            " order by stream_id, version", connection, transaction);
        command.Parameters.AddWithValue("p", position);
        command.Parameters.AddWithValue("types", types.Keys.ToArray());
        if (clinics is not null) command.Parameters.AddWithValue("clinics", ClinicPatterns(clinics));
        if (streams is not null) command.Parameters.AddWithValue("streams", streams.ToArray());

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await foreach (var course in Courses(reader, types, cancellationToken))
            yield return course;
    }

    /// The given course streams as they stand now, each built from all its facts (a stream without facts is left out).
    /// Reads each stream through its (stream_id, version) index: for the course endpoints, and for the few courses the
    /// ingestion writer does not hold in memory (CourseCache), on its transaction, which holds the courses' locks.
    public async Task<Dictionary<string, PatientCourse>> LatestAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        IReadOnlyCollection<string> streams, CancellationToken cancellationToken)
    {
        var courses = new Dictionary<string, PatientCourse>(streams.Count, StringComparer.Ordinal);
        if (streams.Count == 0) return courses;
        var types = FactTypes();
        // A join to unnest rather than "= any": a prepared statement's generic plan may scan the table for "= any".
        await using var command = new NpgsqlCommand(
            $"select e.stream_id, e.id, e.type, e.data from unnest($1::varchar[]) as k(id) join {Schema}.mt_events e on e.stream_id = k.id " +
            "where e.type = any($2) order by e.stream_id, e.version", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = streams.ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = types.Keys.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await foreach (var course in Courses(reader, types, cancellationToken))
            courses[course.Id] = course;
        return courses;
    }

    /// One course as it stands now (null when it has no facts): what the course endpoints show.
    public async Task<PatientCourse?> CourseAsync(NpgsqlDataSource database, CourseKey course, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var courses = await LatestAsync(connection, null, [course.ToString()], cancellationToken);
        return courses.GetValueOrDefault(course.ToString());
    }

    /// Folds rows (stream_id, id, type, data) ordered by stream and version into one course per stream.
    private async IAsyncEnumerable<PatientCourse> Courses(NpgsqlDataReader reader, Dictionary<string, Type> types,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var serializer = store.Options.Serializer();
        PatientCourse? course = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            var stream = reader.GetString(0);
            if (course is null || !string.Equals(course.Id, stream, StringComparison.Ordinal))
            {
                if (course is not null) yield return course;
                course = PatientCourse.Open(CourseKey.Parse(stream));
            }
            course.Apply(reader.GetGuid(1), serializer.FromJson(types[reader.GetString(2)], reader, 3));
        }
        if (course is not null) yield return course;
    }

    /// The course streams of the clinics (every clinic when null) that have an event after the position.
    public async Task<HashSet<string>> ChangedAfterAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        IReadOnlyCollection<string>? clinics, long position, CancellationToken cancellationToken)
    {
        var changed = new HashSet<string>(StringComparer.Ordinal);
        if (clinics is { Count: 0 }) return changed;
        await using var command = new NpgsqlCommand(
            $"select distinct stream_id from {Schema}.mt_events where seq_id > @p and type = any(@types)" +
            (clinics is null ? "" : " and stream_id like any(@clinics)"), connection, transaction);
        command.Parameters.AddWithValue("p", position);
        command.Parameters.AddWithValue("types", FactTypes().Keys.ToArray());
        if (clinics is not null) command.Parameters.AddWithValue("clinics", ClinicPatterns(clinics));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) changed.Add(reader.GetString(0));
        return changed;
    }

    /// The clinics that have course streams.
    public async Task<IReadOnlyList<string>> ClinicsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"select distinct split_part(id, '/', 1) from {tables.Streams} where {EventTables.CourseStreams}", connection);
        var clinics = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) clinics.Add(reader.GetString(0));
        return clinics;
    }

    // A clinic id is [a-z0-9-], so the patterns have no wildcard of their own.
    private static string[] ClinicPatterns(IReadOnlyCollection<string> clinics) => clinics.Select(c => c + "/%").ToArray();
}
