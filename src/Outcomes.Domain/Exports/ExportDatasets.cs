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

    public static ExportDataset Subjects { get; } = new("subjects",
        "One row per treatment course: its cohort attributes and its outcomes as derived by the outcome engine under the " +
        "manifest's definitions, as of the manifest's event-store position.",
        [
            SubjectId, .. Attributes,
            Text("definitions_version", false, "Version of the outcome definitions the outcomes were derived under."),
            Flag("enrolment_known", false, "Whether an enrolment was stored for the course."),
            Int("sessions_received", false, "Treatment sessions received.", "sessions"),
            Text("end_reason", false, "How the course ended; \"ongoing\" if it had not.",
                [.. Cohorts.CohortDimensions.EnumLabels<Courses.CourseEndReason>(), Ongoing]),
            Int("course_end_day", true, "Day the course ended (empty if ongoing or without a session).", Days),
            Int("last_assessment_day", true, "Day of the last PHQ-9 (empty without one or without a session).", Days),
            Text("no_baseline_reason", true, "Why there is no baseline PHQ-9 (empty when there is one).",
                ["no-sessions", "no-scores", "only-post-treatment-scores", "no-score-in-window"]),
            Int("baseline_total", true, "Baseline PHQ-9 total: the last on or before the first session, within the baseline window.", "points (0-27)"),
            Text("baseline_severity", true, "Severity band of the baseline total (Kroenke 2001).",
                Cohorts.CohortDimensions.EnumLabels<Courses.Phq9Severity>()),
            Flag("eligible", false, "Eligible for response analyses (baseline total at or above the definitions' minimum)."),
            Flag("response_event", true, "Eligible courses: whether response onset was observed (false: censored at response_day)."),
            Int("response_day", true, "Eligible courses: day of response onset, or the censoring day of a non-responder.", Days),
            Int("response_sessions", true, "Eligible courses: sessions received by response_day.", "sessions"),
            Flag("remission_ever", true, "Eligible courses: whether a post-baseline total fell below the remission threshold."),
            Int("remission_day", true, "Eligible courses: day of the first remission.", Days),
            Flag("response_by_end_of_induction", true, "Eligible courses: response on or before the definitions' induction " +
                "window; empty while still unknown."),
            Flag("induction_window_elapsed", true, "Whether the export's induction window (manifest inductionWindowDays) " +
                "had passed since the first session at the data cut-off; empty without a session."),
            Flag("sustained_response", true, "Eligible courses: response at consecutive assessments the definitions' gap apart."),
            Text("durability_definition", false, "Which rule ends a response: loss-of-response or relapse.",
                ["loss-of-response", "relapse"]),
            Flag("durability_event", true, "Responders: whether response ended under the durability rule (false: censored)."),
            Int("durability_days_from_onset", true, "Responders: days from response onset to its end or to censoring.", "days"),
            Int("durability_day", true, "Responders: the same moment in days since the first session.", Days),
            Int("change_from_baseline", true, "Last post-baseline total minus baseline total (negative: improvement).", "points"),
            Flag("reliable_improvement", true, "A drop of at least the reliable-improvement threshold (6 by default)."),
            Flag("mcid_improvement", true, "A drop of at least the minimal clinically important difference (5 by default)."),
            Int("item9_baseline", true, "Item 9 at baseline (0-3); empty if unknown.", "points (0-3)"),
            Flag("item9_new_during_treatment", true, "Item 9 positive after the first session when it was 0 at baseline."),
            Flag("item9_resolved", true, "Last post-baseline item 9 is 0 when it was positive at baseline."),
            Int("item9_last_known", true, "The last known item 9 (0-3).", "points (0-3)"),
            Flag("item9_any_positive", false, "Any item 9 of 1 or more in any PHQ-9 of the course."),
        ]) { HasAttributes = true };

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
