using Npgsql;
using Outcomes.Domain.Courses;
using Outcomes.Service.EventStore;

namespace Outcomes.Service.CourseOutcomes;

/// The one way the courses of some clinics are read as of an earlier event-store position, inside the caller's snapshot:
/// reports as of a position (OutcomeReadModel.ReadAsOf) and exports at a manifest's earlier position (EventStoreCourses).
/// A course nothing has been stored for since the position holds exactly its state there in its read-model row
/// (ingestion writes facts and rows in one transaction), so the caller reads those courses from their rows, in the
/// column it needs, and skips the Replayed ones; those, the courses with a fact after the position, are rebuilt from
/// their events up to it (ReplayAsync: CourseStreamReader, one course at a time). Without current rows (a rebuild is
/// running, or the caller asks for the events) no row is read and every course is replayed. Both ways give the same
/// course, so a report or an export at a position does not depend on which was read.
///
/// No cap on how far back the position may be. Exports used to replay every course once more than 100,000 events followed
/// the position, to bound the set of replayed keys; reports never did, and measured better without (half the M-tier store
/// back, one clinic: 5.7 s and 357 MB at load 23 against 6.9 s and 539 MB at load 17 replaying all, docs/benchmarks.md,
/// "A report as of an earlier position"). The set holds at most one key per course of the clinics read, which is bounded by what is read
/// anyway (a report keeps a member per course), and the changed courses are the only ones whose rows cannot be used.
public sealed class CoursesAsOf
{
    private readonly CourseStreamReader _reader;
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly IReadOnlyCollection<string>? _clinics;

    private CoursesAsOf(CourseStreamReader reader, NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyCollection<string>? clinics, long position, HashSet<string>? replayed)
    {
        (_reader, _connection, _transaction, _clinics, Position, Replayed) = (reader, connection, transaction, clinics, position, replayed);
    }

    public long Position { get; }

    /// The courses replayed from their events (those with an event after the position); the others are read from their
    /// rows. Null when no row is read: every course is replayed.
    public HashSet<string>? Replayed { get; }

    /// Whether the courses not replayed are read from the read model's rows.
    public bool ReadsRows => Replayed is not null;

    /// Decides, in the caller's snapshot, which courses of the clinics (every clinic when null) are read from rows
    /// (only when <paramref name="rowsCurrent"/>) and which are replayed.
    public static async Task<CoursesAsOf> OpenAsync(CourseStreamReader reader, NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyCollection<string>? clinics, long position, bool rowsCurrent, CancellationToken cancellationToken)
    {
        var replayed = rowsCurrent ? await reader.ChangedAfterAsync(connection, transaction, clinics, position, cancellationToken) : null;
        return new CoursesAsOf(reader, connection, transaction, clinics, position, replayed);
    }

    /// The replayed courses with their facts stored at or before the position, one at a time, in stream-key order.
    public IAsyncEnumerable<PatientCourse> ReplayAsync(CancellationToken cancellationToken) =>
        _reader.ReadAsync(_connection, _transaction, _clinics, Position, Replayed, cancellationToken);
}
