using System.Runtime.CompilerServices;
using Marten;
using Npgsql;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Service.Exports;

/// Reads course streams straight from Marten's event table, one course at a time, so an export's memory does not
/// grow with the store: every event up to a position, a clinic's streams in stream order.
public sealed class EventStoreCourses(IDocumentStore store)
{
    private static readonly Type[] FactTypes = [typeof(PatientEnrolled), typeof(TreatmentSessionGiven), typeof(Phq9Completed), typeof(CourseEnded)];

    /// Marten's stored type name of each fact type (the mt_events.type column), so the query reads facts only.
    private Dictionary<string, Type> FactTypeNames() =>
        FactTypes.ToDictionary(t => ((Marten.Events.EventGraph)((DocumentStore)store).Options.Events).EventMappingFor(t).EventTypeName, StringComparer.Ordinal);

    private string Schema => store.Options.Events.DatabaseSchemaName;

    private NpgsqlConnection Connect() => new(((DocumentStore)store).Options.Tenancy.Default.Database.CreateConnection().ConnectionString);

    /// The latest position, or the given one if not beyond it, and the store's time there: the timestamp of the last
    /// event at or before it by sequence, as CohortReportService takes it, so an export and a report at one position
    /// are built from identical members.
    public async Task<(long Latest, long Position, DateTimeOffset AsOf)> CutAsync(long? position, CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        await connection.OpenAsync(cancellationToken);
        await using var latest = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {Schema}.mt_events", connection);
        var last = (long)(await latest.ExecuteScalarAsync(cancellationToken))!;
        var at = Math.Min(position ?? last, last);
        await using var time = new NpgsqlCommand($"select timestamp from {Schema}.mt_events where seq_id <= @p order by seq_id desc limit 1", connection);
        time.Parameters.AddWithValue("p", at);
        var asOf = await time.ExecuteScalarAsync(cancellationToken) is DateTime t
            ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc))
            : DateTimeOffset.UnixEpoch;
        return (last, at, asOf);
    }

    /// Each course of the clinics with its facts stored at or before the position, in stream-key order. One query for
    /// all clinics: the table is scanned and sorted once (per clinic, each query scanned the whole table again).
    public async IAsyncEnumerable<(CourseKey Course, CourseFacts Facts)> ReadAsync(
        IReadOnlyCollection<string> clinics, long position, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (clinics.Count == 0) yield break;
        var serializer = store.Options.Serializer();
        var types = FactTypeNames();
        await using var connection = Connect();
        await connection.OpenAsync(cancellationToken);
        // The sort runs in the server; memory enough to keep a mid-sized cohort's sort off the disk.
        await using (var memory = new NpgsqlCommand($"set work_mem = '{SortMemory}'", connection))
            await memory.ExecuteNonQueryAsync(cancellationToken);
        // A clinic id is [a-z0-9-], so the patterns have no wildcard of their own.
        await using var command = new NpgsqlCommand(
            $"select stream_id, type, data from {Schema}.mt_events " +
            "where seq_id <= @p and stream_id like any(@clinics) and type = any(@types) order by stream_id, version", connection);
        command.Parameters.AddWithValue("p", position);
        command.Parameters.AddWithValue("clinics", clinics.Select(c => c + "/%").ToArray());
        command.Parameters.AddWithValue("types", types.Keys.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        string? stream = null;
        var facts = new List<object>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            if (id != stream)
            {
                if (stream is not null && facts.Count > 0) yield return (CourseKey.Parse(stream), CourseFacts.From(facts));
                stream = id;
                facts = [];
            }
            facts.Add(serializer.FromJson(types[reader.GetString(1)], reader, 2));
        }
        if (stream is not null && facts.Count > 0) yield return (CourseKey.Parse(stream), CourseFacts.From(facts));
    }

    private const string SortMemory = "64MB";

    /// The clinics that have course streams (for a caller who sees every clinic).
    public async Task<IReadOnlyList<string>> ClinicsAsync(CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"select distinct split_part(id, '/', 1) from {Schema}.mt_streams where id like '%/%/%'", connection);
        var clinics = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) clinics.Add(reader.GetString(0));
        return clinics;
    }
}
