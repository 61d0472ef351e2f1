using Outcomes.Domain.Courses;

namespace Outcomes.Domain.Outcomes;

/// Why a course has no baseline PHQ-9; such a course counts in the attrition funnel only.
public enum NoBaselineReason
{
    /// No treatment session, so there is no time origin to anchor a baseline to.
    NoSessions,
    NoScores,
    /// Every PHQ-9 came after the first session.
    OnlyPostTreatmentScores,
    /// The last PHQ-9 before the first session is older than the baseline window.
    NoScoreInWindow,
}

/// One PHQ-9 in the course's series. Day is the UTC calendar-day difference from the first session (negative before
/// it; null when the course has no session); SessionsReceived counts sessions strictly before the score, so a score
/// stamped at the same instant as a session is read as taken before it (as the baseline rule does).
public readonly record struct Phq9Assessment(
    DateTimeOffset OccurredAt,
    int? Day,
    int SessionsReceived,
    int Total,
    Phq9Severity Severity,
    bool IsTotalOnly,
    int? Item9);

/// A first occurrence (of response, of remission) on both time axes.
public readonly record struct Milestone(int Day, int SessionsReceived, int Total);

/// Time to response: the onset if Responded, otherwise the censoring time (see NonResponderCensoring).
public readonly record struct ResponseOnset(bool Responded, int Day, int SessionsReceived);

/// Time from response onset to the end of response under one durability rule: the event if Event, otherwise the
/// censoring time (the last assessment). Day and SessionsReceived place the same moment on the course's own axes.
public readonly record struct DurabilityTime(bool Event, int DaysFromOnset, int Day, int SessionsReceived);

/// Item 9 (thoughts of being better off dead or of self-harm). Null means unknown (total-only scores, no baseline)
/// or not applicable (NewDuringTreatment needs a baseline item 9 of 0, Resolved a positive one).
/// AnyPositive looks at every score, including same-day scores the series superseded: a safety signal is never hidden.
public readonly record struct Item9Status(
    int? BaselineItem9,
    bool? PositiveAtBaseline,
    bool? NewDuringTreatment,
    bool? Resolved,
    int? LastKnownItem9,
    bool AnyPositive);

/// The outcomes of one treatment course under one set of definitions, as known at AsOf.
/// Response outcomes (FirstResponse ... ResponseByEndOfInduction) are null unless the course is Eligible.
public sealed record CourseOutcome
{
    /// Derives one course's outcomes from its facts (any order). Facts stamped after asOf are ignored, so a report
    /// can be recomputed as of a past moment; asOf also decides whether an unended course is past its induction
    /// window. Pure and allocation-light: O(n log n) in the course's facts. Definitions are not re-validated here:
    /// validate them once where they are loaded.
    public static CourseOutcome Derive(CourseFacts facts, OutcomeDefinitions definitions, DateTimeOffset asOf) =>
        OutcomeDerivation.Derive(facts, definitions, asOf);

    /// The same, from a course's stored events as plain objects (see CourseFacts.From).
    public static CourseOutcome Derive(IEnumerable<object> facts, OutcomeDefinitions definitions, DateTimeOffset asOf) =>
        OutcomeDerivation.Derive(CourseFacts.From(facts), definitions, asOf);

    /// This outcome as known at a later moment when no fact has arrived since: only the clock-bound answer changes
    /// (whether an ongoing, unanswered course has passed its induction window). A stored outcome derived from every
    /// fact of a course (asOf = DateTimeOffset.MaxValue) and stamped with the report's moment equals the outcome
    /// derived as of that moment whenever no fact of the course is stamped later than it.
    public CourseOutcome KnownAt(DateTimeOffset asOf, OutcomeDefinitions definitions) =>
        this with
        {
            AsOf = asOf,
            ResponseByEndOfInduction = ResponseByEndOfInductionAt(asOf, Eligible, FirstResponse, CourseEnded, FirstSessionAt,
                ResponseByEndOfInduction, definitions),
        };

    /// KnownAt's one clock-bound answer, for readers that build a stored outcome field by field.
    public static bool? ResponseByEndOfInductionAt(DateTimeOffset asOf, bool eligible, Milestone? firstResponse, bool courseEnded,
        DateTimeOffset? firstSessionAt, bool? derived, OutcomeDefinitions definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        if (!eligible || firstResponse is not null || firstSessionAt is not { } first) return derived;
        var asOfDay = asOf.UtcTicks / TimeSpan.TicksPerDay - first.UtcTicks / TimeSpan.TicksPerDay;
        return courseEnded || asOfDay >= definitions.InductionWindowDays ? false : null;
    }

    public required string DefinitionsId { get; init; }
    public required string DefinitionsVersion { get; init; }
    public required DateTimeOffset AsOf { get; init; }

    public bool EnrolmentKnown { get; init; }
    public DateTimeOffset? FirstSessionAt { get; init; }
    public int SessionsReceived { get; init; }
    public bool CourseEnded { get; init; }
    public CourseEndReason? EndReason { get; init; }
    public int? CourseEndDay { get; init; }

    /// One assessment per UTC calendar day and side of the first session: the last by time of day.
    public IReadOnlyList<Phq9Assessment> Series { get; init; } = [];

    /// The series without interface calls or copies, for the loops that run over every course of a cohort: the
    /// outcome engine stores it as an array, a stored read model as a slice of one shared array.
    public ReadOnlySpan<Phq9Assessment> SeriesSpan() => Series switch
    {
        Phq9Assessment[] array => array,
        ArraySegment<Phq9Assessment> slice => slice.AsSpan(),
        var other => other.ToArray(),
    };
    public int SupersededSameDayScores { get; init; }
    public int? LastAssessmentDay { get; init; }

    public Phq9Assessment? Baseline { get; init; }
    public NoBaselineReason? NoBaselineReason { get; init; }
    public bool Eligible { get; init; }

    public Milestone? FirstResponse { get; init; }
    public Milestone? FirstRemission { get; init; }
    public ResponseOnset? ResponseOnset { get; init; }
    public DurabilityTime? LossOfResponse { get; init; }
    public DurabilityTime? Relapse { get; init; }
    /// LossOfResponse or Relapse, as the definitions' Durability chooses.
    public DurabilityTime? Durability { get; init; }
    public bool? SustainedResponse { get; init; }
    public bool? RemissionEver { get; init; }
    /// Null while the course is ongoing, unanswered, and still inside the induction window at AsOf.
    public bool? ResponseByEndOfInduction { get; init; }

    /// Last post-baseline total minus baseline total (negative is improvement); null without both.
    public int? ChangeFromBaseline { get; init; }
    public bool? ReliableImprovement { get; init; }
    public bool? MinimalClinicallyImportantImprovement { get; init; }

    public Item9Status Item9 { get; init; }

    /// Rates an export stated for the course, for the measures whose table entry says to read them back
    /// (Measure.ReadFromExport); null for an outcome the engine derived.
    public IReadOnlyDictionary<Measure, bool?>? StatedByExport { get; init; }
}
