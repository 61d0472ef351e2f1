using System.Runtime.CompilerServices;
using Npgsql;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.CourseOutcomes;
using Outcomes.Service.EventStore;

namespace Outcomes.Service.Exports;

/// The courses an export reads, one at a time so that its memory does not grow with the store, and the position they
/// stand at. At the latest position (a new export, or a manifest's position nothing has been stored after) they come
/// from the outcome read model's stored facts, read in the same snapshot as the position; at an earlier position (a
/// re-export from a manifest), as reports read them (CoursesAsOf): from the stored facts of the courses nothing has been
/// stored for since, and the events up to the position of the others; without a current read model, from Marten's event
/// table alone (CourseStreamReader). Every way gives the same courses with the same facts, so an export's bytes do not
/// depend on which was read.
/// With a streaming replica configured (ConnectionStrings:OutcomesRead) the courses are read from it, as reports are
/// (Hosting.ReportReads): a position it has not replayed yet is waited for briefly, then refused with its position.
public sealed class EventStoreCourses(NpgsqlDataSource database, CourseStreamReader courses, OutcomeReadModel readModel,
    OutcomeReadModelStatus readModelStatus, Hosting.ReportReads? reads = null)
{
    private string Schema => courses.Schema;

    private NpgsqlConnection Connect() => FromReplica ? reads!.Source.CreateConnection() : Primary();

    private NpgsqlConnection Primary() => database.CreateConnection();

    /// The event store's latest position on the primary (a manifest may not name one beyond it).
    public async Task<long> LatestPositionAsync(CancellationToken cancellationToken)
    {
        await using var connection = Primary();
        await connection.OpenAsync(cancellationToken);
        return (await EventStorePosition.LatestAsync(connection, null, Schema, cancellationToken)).Position;
    }

    /// Whether courses are read from a streaming replica (only once it has replayed the export's position).
    public bool FromReplica => reads?.IsReplica == true;

    /// Opens the courses of the clinics at the position (the latest when null or beyond it) and the store's time there:
    /// the timestamp of the last event at or before it by sequence, as CohortReportService takes it, so that an export
    /// and a report at one position are built from identical members. Dispose when read.
    public async Task<ExportCourses> OpenAsync(IReadOnlyCollection<string> clinics, long? position, CancellationToken cancellationToken)
    {
        if (position is { } asked && FromReplica && await reads!.WaitForPositionAsync(asked, cancellationToken) is { Reached: false } lag)
            throw new ReplicaBehindException(asked, lag.Replayed);
        var connection = Connect();
        try
        {
            await connection.OpenAsync(cancellationToken);
            // One snapshot for the position and everything read at it: ingestion writes the facts and the read model's
            // rows in one transaction.
            var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            var (latest, latestTime) = await EventStorePosition.LatestAsync(connection, transaction, Schema, cancellationToken);
            var at = Math.Min(position ?? latest, latest);
            var asOfTime = at == latest ? latestTime : await EventStorePosition.StoreTimeAtAsync(connection, transaction, Schema, at, cancellationToken);
            var stored = PreferReadModel && await readModelStatus.IsCurrentAsync(cancellationToken);
            if (stored && at == latest)
                return new ExportCourses(at, asOfTime, CourseSource.StoredFacts,
                    StoredAsync(connection, transaction, clinics, null, cancellationToken), connection);
            var asOf = await CoursesAsOf.OpenAsync(courses, connection, transaction, clinics, at, stored, cancellationToken);
            return new ExportCourses(at, asOfTime, asOf.ReadsRows ? CourseSource.StoredFactsAndEvents : CourseSource.Events,
                StoredThenReplayedAsync(connection, transaction, clinics, asOf, cancellationToken), connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// The courses of a release: from its snapshot's stored facts (Releases.CutAsync copies them with the outcomes, in
    /// the snapshot of its position), so an export of a release reads as fast however many events came after it; from
    /// the store at the release's position (OpenAsync) when the snapshot was dropped (Disclosure:KeepReleases), was cut
    /// before snapshots kept facts, or is not this position's.
    public async Task<ExportCourses> OpenReleaseAsync(int releaseId, IReadOnlyCollection<string> clinics, long position,
        CancellationToken cancellationToken)
    {
        var connection = Connect();
        try
        {
            await connection.OpenAsync(cancellationToken);
            var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            await using (var usable = new NpgsqlCommand(
                $"select count(*) filter (where c.course_facts is null), count(*) from {Schema}.{Disclosure.Releases.ReleasesTable} r " +
                $"join {Schema}.{Disclosure.Releases.CoursesTable} c on c.release_id = r.id where r.id = $1 and r.position = $2 and not r.dropped",
                connection, transaction))
            {
                usable.Parameters.Add(new NpgsqlParameter { Value = releaseId });
                usable.Parameters.Add(new NpgsqlParameter { Value = position });
                await using var reader = await usable.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                var (missing, rows) = (reader.GetInt64(0), reader.GetInt64(1));
                if (!PreferReadModel || rows == 0 || missing > 0)
                {
                    await reader.DisposeAsync();
                    await connection.DisposeAsync();
                    return await OpenAsync(clinics, position, cancellationToken);
                }
            }
            var (latest, latestTime) = await EventStorePosition.LatestAsync(connection, transaction, Schema, cancellationToken);
            var asOf = position == latest ? latestTime : await EventStorePosition.StoreTimeAtAsync(connection, transaction, Schema, position, cancellationToken);
            var command = new NpgsqlCommand(
                $"select course_key, course_facts from {Schema}.{Disclosure.Releases.CoursesTable} where release_id = $1 and clinic_id = any($2)",
                connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = releaseId });
            command.Parameters.Add(new NpgsqlParameter { Value = clinics.ToArray() });
            return new ExportCourses(position, asOf, CourseSource.ReleaseSnapshot, DecodeAsync(command, null, cancellationToken), connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// False makes every export replay the events (tests compare both ways; the benchmark times both).
    public bool PreferReadModel { get; init; } = true;

    /// Every course of the clinics from the read model's stored facts, except those set aside.
    private async IAsyncEnumerable<(CourseKey Course, CourseFacts Facts)> StoredAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyCollection<string> clinics, HashSet<string>? setAside, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (clinics.Count == 0) yield break;
        var command = new NpgsqlCommand(
            $"select course_key, course_facts from {readModel.Table.QualifiedName} where clinic_id = any($1)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = clinics.ToArray() });
        await foreach (var course in DecodeAsync(command, setAside, cancellationToken))
            yield return course;
    }

    /// Rows of (course key, stored facts) decoded one at a time, except the courses set aside.
    private static async IAsyncEnumerable<(CourseKey Course, CourseFacts Facts)> DecodeAsync(NpgsqlCommand command, HashSet<string>? setAside,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var owned = command;
        var context = new CourseOutcomeCodec.DecodeContext();
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
        var buffer = new byte[1024];
        while (await reader.ReadAsync(cancellationToken))
        {
            var stream = reader.GetString(0);
            if (setAside is not null && setAside.Contains(stream)) continue;
            var key = context.Key(stream);
            var length = (int)reader.GetBytes(1, 0, null, 0, 0);
            if (buffer.Length < length) buffer = new byte[Math.Max(length, buffer.Length * 2)];
            reader.GetBytes(1, 0, buffer, 0, length);
            yield return (key, CourseFactsCodec.Decode(buffer.AsSpan(0, length)));
        }
    }

    /// The courses read from the read model's stored facts (when CoursesAsOf reads rows), then the replayed ones.
    private async IAsyncEnumerable<(CourseKey Course, CourseFacts Facts)> StoredThenReplayedAsync(NpgsqlConnection connection,
        NpgsqlTransaction transaction, IReadOnlyCollection<string> clinics, CoursesAsOf asOf,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (asOf.Replayed is { } replayed)
            await foreach (var course in StoredAsync(connection, transaction, clinics, replayed, cancellationToken))
                yield return course;
        await foreach (var course in asOf.ReplayAsync(cancellationToken))
            yield return (course.Key, course.Facts);
    }

    /// The clinics that have course streams (for a caller who sees every clinic).
    public async Task<IReadOnlyList<string>> ClinicsAsync(CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        await connection.OpenAsync(cancellationToken);
        return await courses.ClinicsAsync(connection, cancellationToken);
    }
}

/// Where an export's courses were read from: a release's snapshot of the stored facts, the read model's stored facts
/// (at the latest position), those and the events of the courses changed since (an earlier position), or the events
/// alone (the read model not current, or not preferred).
public enum CourseSource
{
    ReleaseSnapshot,
    StoredFacts,
    StoredFactsAndEvents,
    Events,
}

/// An export's courses at its position. Source says which way they were read (for tests and the benchmark; the
/// export's bytes are the same either way).
public sealed class ExportCourses(long position, DateTimeOffset asOf, CourseSource source,
    IAsyncEnumerable<(CourseKey Course, CourseFacts Facts)> courses, NpgsqlConnection connection) : IAsyncDisposable
{
    public long Position { get; } = position;
    public DateTimeOffset AsOf { get; } = asOf;
    public CourseSource Source { get; } = source;
    public IAsyncEnumerable<(CourseKey Course, CourseFacts Facts)> Courses { get; } = courses;

    public async ValueTask DisposeAsync()
    {
        // The snapshot only read: ending it by closing the connection rolls nothing back that matters.
        await connection.DisposeAsync();
    }
}

/// A replica asked for a position it has not replayed yet (after the bounded wait): answered 409, never from an older state.
public sealed class ReplicaBehindException(long asked, long replayed)
    : Exception($"the read replica has replayed up to position {replayed}, not yet {asked}; ask again shortly")
{
    public long Replayed { get; } = replayed;
}
