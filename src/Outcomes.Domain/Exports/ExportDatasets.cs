using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Exports;

/// How a column's values are typed in CSV and Parquet.
public enum ColumnType
{
    Text,
    Integer,
    Boolean,
    Decimal,
}

/// One column of an exported dataset as the data dictionary documents it. FollowsModality marks the session columns
/// that would reveal a modality the de-identification generalised: they are withheld for such a subject
/// (modality "other", the others empty).
public sealed record ExportColumn(
    string Name,
    ColumnType Type,
    bool Nullable,
    string Meaning,
    string? Unit = null,
    IReadOnlyList<string>? AllowedValues = null,
    bool FollowsModality = false);

/// A column of the subjects file and how one course's outcome fills it.
internal sealed record SubjectColumn(ExportColumn Column, Action<IRowWriter, CourseOutcome, ExportScope> Write);

/// A dataset of an export: its file name (without extension) and its columns in file order.
public sealed record ExportDataset(string Name, string Meaning, IReadOnlyList<ExportColumn> Columns)
{
    /// The columns after the subject id and the attribute block, which the course itself writes.
    public int CourseColumnsStart => HasAttributes ? 1 + ExportDatasets.Attributes.Count : 1;

    /// Whether every row repeats the subject's cohort attributes after its subject id.
    public bool HasAttributes { get; init; }
}

/// The three datasets of an export and their columns. Every day is a whole number of UTC calendar days since the
/// course's first treatment session (negative before it), as the outcome engine counts them; no date is exported.
public static class ExportDatasets
{
    public const string NoEnrolment = Cohorts.CohortDimensions.NoEnrolment;
    public const string Ongoing = "ongoing";

    private static readonly string[] AgeBands =
        [.. Cohorts.CohortDimensions.EnumLabels<Courses.AgeBand>(), .. Release.WideAgeBands, Release.Withheld, NoEnrolment];
    private static readonly string[] Modalities =
        [.. Cohorts.CohortDimensions.EnumLabels<Courses.Modality>(), Release.OtherModality, NoEnrolment];

    private static ExportColumn Text(string name, bool nullable, string meaning, IReadOnlyList<string>? allowed = null,
        bool followsModality = false) =>
        new(name, ColumnType.Text, nullable, meaning, null, allowed, followsModality);

    private static ExportColumn Int(string name, bool nullable, string meaning, string? unit = null) =>
        new(name, ColumnType.Integer, nullable, meaning, unit);

    private static ExportColumn Flag(string name, bool nullable, string meaning) =>
        new(name, ColumnType.Boolean, nullable, meaning);

    private const string Days = "days since the first session";

    public static ExportColumn SubjectId { get; } = Text("subject_id", false,
        "The course's identifier in this release: a keyed hash (HMAC-SHA-256) of the release's seed and the course, " +
        "the same in every export of the release and unrelated in the next one. Rows are in subject_id order.");

    /// The cohort attributes every subject and assessment row carries, as released (generalised where the
    /// manifest says so).
    public static IReadOnlyList<ExportColumn> Attributes { get; } =
    [
        Text("clinic", false, "The clinic: a release-local code (C01, C02, ... over every clinic of the release, in an order drawn from its seed), " +
            "or the clinic id when the caller may see clinic ids (manifest clinicIdentifiers)."),
        Text("age_band", false, "Age band at enrolment; 90+ groups every age over 89 (HIPAA Safe Harbor). Wider bands " +
            "(18-34, 35-54, 55-74, 75+), or \"withheld\", where k-anonymity required it.", AgeBands),
        Text("sex", false, "Sex as the clinic recorded it; \"withheld\" where k-anonymity required it.",
            [.. Cohorts.CohortDimensions.EnumLabels<Courses.Sex>(), Release.Withheld, NoEnrolment]),
        Text("diagnosis_group", false, "Diagnosis group at enrolment; \"withheld\" where k-anonymity required it.",
            [.. Cohorts.CohortDimensions.EnumLabels<Courses.DiagnosisGroup>(), Release.Withheld, NoEnrolment]),
        Text("prior_failed_trials", false, "Prior failed treatment trials, in the reports' bands; \"withheld\" where k-anonymity " +
            "required it.", ["0-1", "2", "3+", Release.Withheld, NoEnrolment]),
        Text("modality", false, "Treatment modality at enrolment; \"other\" where k-anonymity required it.", Modalities),
        Text("enrolment_year", true, "Year of enrolment (yyyy), or a five-year period (yyyy-yyyy) or \"withheld\" where " +
            "k-anonymity required it; empty without an enrolment."),
        Text("first_session_year", true, "Year of the first treatment session (yyyy; UTC), generalised with enrolment_year; " +
            "empty without a session."),
    ];

    /// The subjects file's course columns, each with how one course fills it: a column is written once, here (a
    /// measure's column comes from its entry in the table of measures; its place in the file is chosen here).
    internal static IReadOnlyList<SubjectColumn> SubjectColumns { get; } =
    [
        new(Text("definitions_version", false, "Version of the outcome definitions the outcomes were derived under."),
            (row, o, _) => row.Text(o.DefinitionsVersion)),
        new(Flag("enrolment_known", false, "Whether an enrolment was stored for the course."), (row, o, _) => row.Boolean(o.EnrolmentKnown)),
        new(Int("sessions_received", false, "Treatment sessions received.", "sessions"), (row, o, _) => row.Integer(o.SessionsReceived)),
        new(Text("end_reason", false, "How the course ended; \"ongoing\" if it had not.",
                [.. Cohorts.CohortDimensions.EnumLabels<Courses.CourseEndReason>(), Ongoing]),
            (row, o, _) => row.Text(o.EndReason is { } reason ? Cohorts.CohortDimensions.EndReasonLabel(reason) : Ongoing)),
        new(Int("course_end_day", true, "Day the course ended (empty if ongoing or without a session).", Days), (row, o, _) => row.Integer(o.CourseEndDay)),
        new(Int("last_assessment_day", true, "Day of the last PHQ-9 (empty without one or without a session).", Days),
            (row, o, _) => row.Integer(o.FirstSessionAt is null ? null : o.LastAssessmentDay)),
        new(Text("no_baseline_reason", true, "Why there is no baseline PHQ-9 (empty when there is one).", ExportedCourse.NoBaselineLabels),
            (row, o, _) => row.Text(o.NoBaselineReason is { } why ? ExportedCourse.NoBaselineLabels[(int)why] : null)),
        new(Int("baseline_total", true, "Baseline PHQ-9 total: the last on or before the first session, within the baseline window.", "points (0-27)"),
            (row, o, _) => row.Integer(o.Baseline?.Total)),
        new(Text("baseline_severity", true, "Severity band of the baseline total (Kroenke 2001).", Cohorts.CohortDimensions.EnumLabels<Courses.Phq9Severity>()),
            (row, o, _) => row.Text(o.Baseline is { } b ? ExportedCourse.SeverityLabels[(int)b.Severity] : null)),
        new(Flag("eligible", false, "Eligible for response analyses (baseline total at or above the definitions' minimum)."),
            (row, o, _) => row.Boolean(o.Eligible)),
        new(Flag("response_event", true, "Eligible courses: whether response onset was observed (false: censored at response_day)."),
            (row, o, _) => row.Boolean(o.Eligible ? o.ResponseOnset?.Responded : null)),
        new(Int("response_day", true, "Eligible courses: day of response onset, or the censoring day of a non-responder.", Days),
            (row, o, _) => row.Integer(o.Eligible ? o.ResponseOnset?.Day : null)),
        new(Int("response_sessions", true, "Eligible courses: sessions received by response_day.", "sessions"),
            (row, o, _) => row.Integer(o.Eligible ? o.ResponseOnset?.SessionsReceived : null)),
        Of(Measures.RemissionEver),
        new(Int("remission_day", true, "Eligible courses: day of the first remission.", Days), (row, o, _) => row.Integer(o.FirstRemission?.Day)),
        Of(Measures.ResponseByEndOfInduction),
        new(Flag("induction_window_elapsed", true, "Whether the export's induction window (manifest inductionWindowDays) " +
                "had passed since the first session at the data cut-off; empty without a session."),
            (row, o, scope) => row.Boolean(o.FirstSessionAt is { } first
                ? scope.AsOf.UtcTicks / TimeSpan.TicksPerDay - first.UtcTicks / TimeSpan.TicksPerDay >= scope.InductionWindowDays
                : null)),
        new(Flag("sustained_response", true, "Eligible courses: response at consecutive assessments the definitions' gap apart."),
            (row, o, _) => row.Boolean(o.SustainedResponse)),
        new(Text("durability_definition", false, "Which rule ends a response: loss-of-response or relapse.", ["loss-of-response", "relapse"]),
            (row, _, scope) => row.Text(scope.Definitions.Durability == DurabilityDefinition.Relapse ? "relapse" : "loss-of-response")),
        new(Flag("durability_event", true, "Responders: whether response ended under the durability rule (false: censored)."),
            (row, o, _) => row.Boolean(o.Durability?.Event)),
        new(Int("durability_days_from_onset", true, "Responders: days from response onset to its end or to censoring.", "days"),
            (row, o, _) => row.Integer(o.Durability?.DaysFromOnset)),
        new(Int("durability_day", true, "Responders: the same moment in days since the first session.", Days),
            (row, o, _) => row.Integer(o.Durability?.Day)),
        new(Int("change_from_baseline", true, "Last post-baseline total minus baseline total (negative: improvement).", "points"),
            (row, o, _) => row.Integer(o.ChangeFromBaseline)),
        Of(Measures.ReliableImprovement),
        Of(Measures.MinimalClinicallyImportantImprovement),
        new(Int("item9_baseline", true, "Item 9 at baseline (0-3); empty if unknown.", "points (0-3)"), (row, o, _) => row.Integer(o.Item9.BaselineItem9)),
        new(Flag("item9_new_during_treatment", true, "Item 9 positive after the first session when it was 0 at baseline."),
            (row, o, _) => row.Boolean(o.Item9.NewDuringTreatment)),
        new(Flag("item9_resolved", true, "Last post-baseline item 9 is 0 when it was positive at baseline."), (row, o, _) => row.Boolean(o.Item9.Resolved)),
        new(Int("item9_last_known", true, "The last known item 9 (0-3).", "points (0-3)"), (row, o, _) => row.Integer(o.Item9.LastKnownItem9)),
        new(Flag("item9_any_positive", false, "Any item 9 of 1 or more in any PHQ-9 of the course."), (row, o, _) => row.Boolean(o.Item9.AnyPositive)),
    ];

    private static SubjectColumn Of(Measure measure) =>
        new(measure.Column!.Column, (row, o, _) => row.Boolean(measure.Column.Value(o)));

    public static ExportDataset Subjects { get; } = new("subjects",
        "One row per treatment course: its cohort attributes and its outcomes as derived by the outcome engine under the " +
        "manifest's definitions, as of the manifest's event-store position.",
        [SubjectId, .. Attributes, .. SubjectColumns.Select(c => c.Column)]) { HasAttributes = true };

    public static ExportDataset Assessments { get; } = new("assessments",
        "One row per PHQ-9 stored for the course up to the data cut-off, in time order within the subject. Days " +
        "other than 0 are shifted by at most one day per release and subject (order and side of the first session kept).",
        [
            SubjectId, .. Attributes,
            Int("day", true, "Day of the PHQ-9, shifted by at most one day unless 0 (empty when the course has no session).", Days),
            Int("sessions_received", false, "Sessions received strictly before the PHQ-9.", "sessions"),
            .. Enumerable.Range(1, Courses.Phq9Score.ItemCount).Select(i => Int($"item_{i}", true,
                i == 9 ? "Item 9 (thoughts of being better off dead or of self-harm), 0-3; empty for a total-only PHQ-9."
                       : $"Item {i}, 0-3; empty for a total-only PHQ-9.", "points (0-3)")),
            Int("total", false, "PHQ-9 total.", "points (0-27)"),
            Text("severity", false, "Severity band of the total (Kroenke 2001).", Cohorts.CohortDimensions.EnumLabels<Courses.Phq9Severity>()),
            Flag("total_only", false, "A total received without its items (kept and flagged, as PCORnet allows)."),
            Flag("in_series", false, "Counted by the outcome engine: false for a PHQ-9 superseded by a later one on the same " +
                "day and the same side of the first session."),
            Flag("baseline", false, "This PHQ-9 is the course's baseline."),
        ]) { HasAttributes = true };

    public static ExportDataset Sessions { get; } = new("sessions",
        "One row per treatment session stored for the course up to the data cut-off, in time order within the subject. " +
        "Days other than 0 are shifted as in assessments (the same shift for the same day).",
        [
            SubjectId,
            Int("day", false, "Day of the session (0 for the first), shifted by at most one day unless 0.", Days),
            Int("session_number", false, "1 for the first session, 2 for the second, ...", "sessions"),
            Text("modality", false, "Modality of the session; \"other\" when the subject's modality was generalised.",
                Modalities[..^1], followsModality: true),
            new ExportColumn("dose", ColumnType.Decimal, true, "Dose given; empty when the subject's modality was generalised.",
                "see dose_unit", null, FollowsModality: true),
            Text("dose_unit", true, "Unit of the dose.", Cohorts.CohortDimensions.EnumLabels<Courses.DoseUnit>(), followsModality: true),
            Text("route", true, "Route of administration.", Cohorts.CohortDimensions.EnumLabels<Courses.Route>(), followsModality: true),
        ]);

    public static IReadOnlyList<ExportDataset> All { get; } = [Subjects, Assessments, Sessions];
}
