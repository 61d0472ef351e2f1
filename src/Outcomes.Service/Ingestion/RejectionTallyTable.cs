namespace Outcomes.Service.Ingestion;

/// Counts of rejections per quota, clinic, uploader, day, field and rule: complete even where the individual
/// records have been pruned. Field and rule are reduced to their shape (no values from the message), so the
/// number of rows grows with days and kinds of mistakes, not with the messages sent.
public sealed record RejectionTally(string? ClinicId, string? Uploader, DateOnly Day, string Field, string Rule, long Count, DateTimeOffset LastRejectedAt);

public sealed partial class RejectionTallyTable(string schema)
{
    public const string Name = "rejection_tallies";

    public string QualifiedName { get; } = $"{schema}.{Name}";

    public Weasel.Postgresql.Tables.Table Definition()
    {
        var table = new Weasel.Postgresql.Tables.Table(new Weasel.Postgresql.PostgresqlObjectName(schema, Name, Weasel.Postgresql.SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("quota").AsPrimaryKey();
        table.AddColumn<string>("clinic_key").AsPrimaryKey();
        table.AddColumn<DateOnly>("day").AsPrimaryKey();
        table.AddColumn<string>("field").AsPrimaryKey();
        table.AddColumn<string>("rule").AsPrimaryKey();
        table.AddColumn<string>("clinic_id");
        table.AddColumn<string>("uploader");
        table.AddColumn<long>("count").NotNull();
        table.AddColumn("last_rejected_at", "timestamptz").NotNull();
        return table;
    }

    public string Upsert =>
        $"insert into {QualifiedName} (quota, clinic_key, day, field, rule, clinic_id, uploader, count, last_rejected_at) " +
        "select q, coalesce(c, ''), d, f, r, c, u, n, l from unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::text[], $6::text[], " +
        "$7::bigint[], $8::timestamptz[]) as t(q, c, u, d, f, r, n, l) " +
        "on conflict (quota, clinic_key, day, field, rule) do update set count = " + Name + ".count + excluded.count, " +
        "last_rejected_at = greatest(" + Name + ".last_rejected_at, excluded.last_rejected_at)";

    /// An unknown property's name is the sender's text: counted under one field.
    public static string FieldOf(string field, string rule) =>
        rule.StartsWith("unknown property", StringComparison.Ordinal) ? "(unknown property)" : Bounded(field, 64);

    /// The rule with quoted values and numbers taken out: "must equal the sum of the items (#), got #".
    public static string RuleOf(string rule) => Bounded(Digits().Replace(Quoted().Replace(rule, "'…'"), "#"), 300);

    private static string Bounded(string text, int length) => text.Length <= length ? text : text[..length];

    [System.Text.RegularExpressions.GeneratedRegex("'[^']*'")]
    private static partial System.Text.RegularExpressions.Regex Quoted();

    [System.Text.RegularExpressions.GeneratedRegex(@"\d+")]
    private static partial System.Text.RegularExpressions.Regex Digits();
}
