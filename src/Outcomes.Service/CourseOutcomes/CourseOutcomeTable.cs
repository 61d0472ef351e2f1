using Npgsql;
using NpgsqlTypes;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Outcomes.Service.CourseOutcomes;

/// One course's row in the outcome read model: derived from every fact stored for it (Facts counts them, so a
/// row derived from fewer facts never overwrites one derived from more). Outcome is what reports read; StoredFacts
/// (CourseFactsCodec) is what exports read, so an export at the latest position need not replay the events.
public sealed record CourseOutcomeRow(string Course, string ClinicId, int Facts, byte[] Outcome, byte[] StoredFacts)
{
    public static CourseOutcomeRow From(PatientCourse course, OutcomeDefinitions definitions) =>
        From(course.Key, course.Facts, course.FactCount, definitions);

    /// A course just changed by ingestion, with the outcome its batch derived once for every observer.
    public static CourseOutcomeRow From(Ingestion.ChangedCourse changed, OutcomeDefinitions definitions)
    {
        ArgumentNullException.ThrowIfNull(changed);
        var member = changed.Member(definitions);
        return new CourseOutcomeRow(changed.Key.ToString(), changed.Key.ClinicId, changed.Course.FactCount,
            CourseOutcomeCodec.Encode(member.Attributes, member.Outcome), CourseFactsCodec.Encode(changed.Facts));
    }

    public static CourseOutcomeRow From(CourseKey course, CourseFacts facts, int factCount, OutcomeDefinitions definitions)
    {
        var member = CohortMember.From(course, facts, definitions, DateTimeOffset.MaxValue);
        return new CourseOutcomeRow(course.ToString(), course.ClinicId, factCount, CourseOutcomeCodec.Encode(member.Attributes, member.Outcome),
            CourseFactsCodec.Encode(facts));
    }
}

/// The outcome read model's table, next to Marten's in the event-store schema. Marten creates and migrates it
/// with its own objects at start-up; ingestion writes it in the same transaction as the facts.
public sealed class CourseOutcomeTable(string schema)
{
    public const string Name = "course_outcomes";

    public string QualifiedName { get; } = $"{schema}.{Name}";

    public string Schema { get; } = schema;

    public Table Definition()
    {
        var table = new Table(new PostgresqlObjectName(Schema, Name, Weasel.Postgresql.SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("course_key").AsPrimaryKey();
        table.AddColumn<string>("clinic_id").NotNull();
        table.AddColumn<string>("definitions").NotNull();
        table.AddColumn<int>("facts").NotNull();
        table.AddColumn("outcome", "bytea").NotNull();
        // Nullable only so that Marten can add it to a table of an earlier version; such rows are not current and
        // are rebuilt at start-up.
        table.AddColumn("course_facts", "bytea");
        table.AddColumn("updated_at", "timestamptz").NotNull().DefaultValueByExpression("now()");
        table.Indexes.Add(new IndexDefinition($"ix_{Name}_clinic") { Columns = ["clinic_id"] });
        return table;
    }

    /// One statement for any number of rows. A row derived from fewer facts than the stored one is skipped: a
    /// rebuild running beside ingestion can never put an older state back.
    private string UpsertSql(string keys, string clinics, string facts, string outcomes, string storedFacts, string definitions) =>
        $"""
        insert into {QualifiedName} as o (course_key, clinic_id, definitions, facts, outcome, course_facts, updated_at)
        select r.k, r.c, {definitions}::text, r.f, r.b, r.s, now()
        from unnest({keys}::text[], {clinics}::text[], {facts}::int[], {outcomes}::bytea[], {storedFacts}::bytea[]) as r(k, c, f, b, s)
        on conflict (course_key) do update set clinic_id = excluded.clinic_id, definitions = excluded.definitions,
            facts = excluded.facts, outcome = excluded.outcome, course_facts = excluded.course_facts, updated_at = excluded.updated_at
        where o.definitions <> excluded.definitions or get_byte(o.outcome, 0) <> get_byte(excluded.outcome, 0)
            or o.course_facts is null or get_byte(o.course_facts, 0) <> get_byte(excluded.course_facts, 0)
            or o.facts <= excluded.facts
        """;

    /// Rows every reader can use: derived under these definitions, in the current layouts of both codecs.
    public string CurrentRowsPredicate(string definitions, string outcomeLayout, string factsLayout) =>
        $"definitions = {definitions} and get_byte(outcome, 0) = {outcomeLayout} and course_facts is not null and get_byte(course_facts, 0) = {factsLayout}";

    public NpgsqlBatchCommand Upsert(IReadOnlyCollection<CourseOutcomeRow> rows, OutcomeDefinitions definitions)
    {
        var command = new NpgsqlBatchCommand(UpsertSql("$1", "$2", "$3", "$4", "$5", "$6"));
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Course).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.ClinicId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Facts).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, Value = rows.Select(r => r.Outcome).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, Value = rows.Select(r => r.StoredFacts).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = DefinitionsKey(definitions) });
        return command;
    }

    public static string DefinitionsKey(OutcomeDefinitions definitions) => $"{definitions.Id}/{definitions.Version}";
}
