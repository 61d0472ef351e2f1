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
    private static readonly Dictionary<string, Type> FactTypes = new[]
    {
        typeof(PatientEnrolled), typeof(TreatmentSessionGiven), typeof(Phq9Completed), typeof(CourseEnded),
    }.ToDictionary(t => t.FullName!, StringComparer.Ordinal);

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

    /// Each course of the clinic with its facts stored at or before the position, in stream-key order.
    public async IAsyncEnumerable<(CourseKey Course, CourseFacts Facts)> ReadAsync(
        string clinic, long position, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var serializer = store.Options.Serializer();
        await using var connection = Connect();
        await connection.OpenAsync(cancellationToken);
        // A clinic id is [a-z0-9-], so the pattern has no wildcard of its own.
        await using var command = new NpgsqlCommand(
            $"select stream_id, mt_dotnet_type, data from {Schema}.mt_events " +
            "where seq_id <= @p and stream_id like @clinic order by stream_id, version", connection);
        command.Parameters.AddWithValue("p", position);
        command.Parameters.AddWithValue("clinic", clinic + "/%");
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
            var dotnetType = reader.GetString(1);
            var comma = dotnetType.IndexOf(',');
            if (!FactTypes.TryGetValue(comma < 0 ? dotnetType : dotnetType[..comma], out var type)) continue;
            facts.Add(serializer.FromJson(type, reader, 2));
        }
        if (stream is not null && facts.Count > 0) yield return (CourseKey.Parse(stream), CourseFacts.From(facts));
    }

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
