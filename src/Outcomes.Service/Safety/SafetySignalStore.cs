using Npgsql;
using NpgsqlTypes;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Safety;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Outcomes.Service.Safety;

/// A signal as the worklist shows it: what was raised, on which course and assessment, and where follow-up stands.
public sealed record SignalRow(
    Guid Id,
    string ClinicId,
    string PatientKey,
    int Course,
    string Signal,
    DateTimeOffset AssessmentAt,
    int? Day,
    int SessionsReceived,
    int Total,
    int? Item9,
    int? BaselineTotal,
    DateTimeOffset RaisedAt,
    string Status,
    string? AcknowledgedBy,
    DateTimeOffset? AcknowledgedAt,
    string? ResolvedBy,
    DateTimeOffset? ResolvedAt,
    string? Reason,
    string? Note);

/// The signals table, next to Marten's: written inside ingestion's transaction (so a signal exists exactly when the
/// fact that raised it does), read by the worklist, updated by follow-up (whose events Marten keeps), and drained by
/// the publisher (published_at).
public sealed class SafetySignalStore(string schema)
{
    public const string Name = "safety_signals";
    public const string Channel = "outcomes_safety_signals";

    public string QualifiedName { get; } = $"{schema}.{Name}";

    public Table Definition()
    {
        var table = new Table(new PostgresqlObjectName(schema, Name, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<Guid>("id").AsPrimaryKey();
        table.AddColumn<string>("clinic_id").NotNull();
        table.AddColumn<string>("patient_key").NotNull();
        table.AddColumn<int>("course").NotNull();
        table.AddColumn<string>("signal").NotNull();
        table.AddColumn("assessment_at", "timestamptz").NotNull();
        table.AddColumn("day", "integer");
        table.AddColumn<int>("sessions_received").NotNull();
        table.AddColumn<int>("total").NotNull();
        table.AddColumn("item9", "integer");
        table.AddColumn("baseline_total", "integer");
        table.AddColumn("raised_at", "timestamptz").NotNull().DefaultValueByExpression("clock_timestamp()");
        table.AddColumn<string>("status").NotNull().DefaultValueByString("open");
        table.AddColumn("acknowledged_by", "text");
        table.AddColumn("acknowledged_at", "timestamptz");
        table.AddColumn("resolved_by", "text");
        table.AddColumn("resolved_at", "timestamptz");
        table.AddColumn("reason", "text");
        table.AddColumn("note", "text");
        table.AddColumn("published_at", "timestamptz");
        table.Indexes.Add(new IndexDefinition($"ix_{Name}_clinic_status") { Columns = ["clinic_id", "status"] });
        table.Indexes.Add(new IndexDefinition($"ix_{Name}_unpublished") { Columns = ["raised_at"], Predicate = "published_at is null" });
        return table;
    }

    /// Inserts the signals not yet stored and wakes the publisher when any was new (NOTIFY is delivered at commit).
    public async Task<int> Raise(IReadOnlyList<SafetySignal> signals, Ingestion.ICourseChangeTransaction transaction,
        CancellationToken cancellationToken)
    {
        if (signals.Count == 0) return 0;
        var insert = new NpgsqlBatchCommand(
            $"""
            with fresh as (
                insert into {QualifiedName} (id, clinic_id, patient_key, course, signal, assessment_at, day, sessions_received, total, item9, baseline_total)
                select * from unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[], $7::int[], $8::int[], $9::int[], $10::int[], $11::int[])
                on conflict (id) do nothing
                returning 1)
            select count(*), case when count(*) > 0 then pg_notify('{Channel}', '') end from fresh
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = signals.Select(s => s.Id).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = signals.Select(s => s.Course.ClinicId).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = signals.Select(s => s.Course.PatientKey).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = signals.Select(s => s.Course.Course).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = signals.Select(s => SafetySignal.Label(s.Kind)).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = signals.Select(s => s.AssessmentAt.ToUniversalTime()).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, Value = signals.Select(s => s.Day).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = signals.Select(s => s.SessionsReceived).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = signals.Select(s => s.Total).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, Value = signals.Select(s => s.Item9).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, Value = signals.Select(s => s.BaselineTotal).ToArray() });
        return (int)(long)(await transaction.ScalarAsync(insert, cancellationToken))!;
    }

    /// Who resolves a signal withdrawn by a retraction, and why (one of SignalFollowUp.ResolveReasons).
    public const string RetractionResolver = "fact-retracted";
    public const string RetractionReason = "data-entry-error";

    /// After a retraction: each course's signals that are not among those its remaining facts raise (the assessment that
    /// raised them was retracted) and are not resolved yet are resolved as a data-entry error. Kept, not deleted: the
    /// worklist's history shows what was raised and why it left.
    public async Task<int> WithdrawOthers(IReadOnlyList<(CourseKey Course, Guid[] Standing)> courses, Ingestion.ICourseChangeTransaction transaction,
        CancellationToken cancellationToken)
    {
        var withdrawn = 0;
        foreach (var (course, standing) in courses)
        {
            var update = new NpgsqlBatchCommand(
                $"update {QualifiedName} set status = 'resolved', resolved_by = $5, resolved_at = clock_timestamp(), reason = $6 " +
                "where clinic_id = $1 and patient_key = $2 and course = $3 and status <> 'resolved' and not (id = any($4))");
            update.Parameters.Add(new NpgsqlParameter { Value = course.ClinicId });
            update.Parameters.Add(new NpgsqlParameter { Value = course.PatientKey });
            update.Parameters.Add(new NpgsqlParameter { Value = course.Course });
            update.Parameters.Add(new NpgsqlParameter { Value = standing });
            update.Parameters.Add(new NpgsqlParameter { Value = RetractionResolver });
            update.Parameters.Add(new NpgsqlParameter { Value = RetractionReason });
            withdrawn += await transaction.ExecuteAsync(update, cancellationToken).ConfigureAwait(false);
        }
        return withdrawn;
    }

    public const string Columns =
        "id, clinic_id, patient_key, course, signal, assessment_at, day, sessions_received, total, item9, baseline_total, raised_at, " +
        "status, acknowledged_by, acknowledged_at, resolved_by, resolved_at, reason, note";

    public static SignalRow Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetString(4), r.GetFieldValue<DateTimeOffset>(5),
        r.IsDBNull(6) ? null : r.GetInt32(6), r.GetInt32(7), r.GetInt32(8), r.IsDBNull(9) ? null : r.GetInt32(9),
        r.IsDBNull(10) ? null : r.GetInt32(10), r.GetFieldValue<DateTimeOffset>(11), r.GetString(12),
        r.IsDBNull(13) ? null : r.GetString(13), r.IsDBNull(14) ? null : r.GetFieldValue<DateTimeOffset>(14),
        r.IsDBNull(15) ? null : r.GetString(15), r.IsDBNull(16) ? null : r.GetFieldValue<DateTimeOffset>(16),
        r.IsDBNull(17) ? null : r.GetString(17), r.IsDBNull(18) ? null : r.GetString(18));

    public static CourseKey CourseOf(SignalRow row) => new(row.ClinicId, row.PatientKey, row.Course);
}
