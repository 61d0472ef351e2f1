using System.Text.Json.Serialization;
using Outcomes.Domain.Outcomes;
using Outcomes.Statistics;

namespace Outcomes.Domain.Cohorts;

/// What a report was computed from: the outcome definitions every course was derived under, and the event-store
/// position and moment the facts were read as of. Recomputing with the same provenance gives the same report.
public sealed record ReportProvenance(string DefinitionsId, string DefinitionsVersion, long EventStorePosition, DateTimeOffset AsOf);

/// A cohort report as computed, for the analysis itself and its tests. Never publish it: ReportDisclosure makes the
/// publishable form, by tier.
public sealed record CohortReport(
    ReportDefinition Definition,
    ReportProvenance Provenance,
    GroupReport Overall,
    IReadOnlyList<GroupReport> Groups,
    GroupComparisons? Comparisons)
{
    /// The cell keys of every count (same shape, sums of record keys) and the grid life tables, when computed for
    /// the protected tier; null otherwise.
    internal Disclosure.CellKeySums? Keys { get; init; }

    /// Computes the report over the members that pass the definition's filter, overall and per group (groups in
    /// label order, only groups with members). Every member's outcome must come from the provenance's
    /// definitions as of its AsOf. Pure: the same members in the same order give the same report.
    /// Throws ArgumentException when the definition breaks a rule or a member's outcome does not match the provenance.
    public static CohortReport Compute(IReadOnlyList<CohortMember> members, ReportDefinition definition, ReportProvenance provenance) =>
        CohortComputation.Compute(members, definition, provenance);
}

/// One group's report (Group null: the whole cohort). Sections the definition leaves out are null.
public sealed record GroupReport(
    string? Group,
    CohortCounts Counts,
    ResponseRates? Response,
    TimeToResponse? TimeToResponse,
    DurabilityAnalysis? Durability,
    TrajectoryAnalysis? Trajectory,
    Item9Summary? Item9);

/// Enrolled: every course known as of the report. With baseline and eligible as the outcome engine defines them.
public sealed record CohortCounts(
    int Enrolled,
    int WithBaseline,
    int Eligible,
    IReadOnlyList<FunnelStep> Funnel,
    IReadOnlyList<EndReasonCount> EndReasons);

/// Courses that received at least Sessions sessions (OrMore on the last step; the others count exactly that many
/// or more too, so the funnel only falls).
public sealed record FunnelStep(int Sessions, bool OrMore, int Courses);

/// Courses by how they ended; "ongoing" for courses not ended as of the report.
public sealed record EndReasonCount(string Reason, int Courses);

/// Events among N with the Wilson 95% interval.
public sealed record Rate(int Events, int N, ProportionEstimate Estimate);

/// The rates of Measures.Rates in that order, each as its measure defines events and denominator ("by end of
/// induction" counts only courses whose answer is known; reliable improvement and MCID count courses with a baseline
/// and a later assessment).
[JsonConverter(typeof(RateSetJsonConverter<ResponseRates, Rate>))]
public sealed record ResponseRates(int InductionWindowDays, IReadOnlyList<Rate> Rates) : IRateSet<ResponseRates, Rate>
{
    public Rate this[Measure measure] => Rates[measure.RateIndex];

    public static ResponseRates Create(int inductionWindowDays, IReadOnlyList<Rate> rates) => new(inductionWindowDays, rates);
}

/// A Kaplan-Meier analysis: the library's curve, its numbers at risk at the requested times (extended with 0 past
/// the last time) and its estimates at requested times (left out past the last time, as R's summary.survfit).
public sealed record SurvivalAnalysis(
    KaplanMeierCurve Curve,
    IReadOnlyList<KaplanMeierRow> AtRisk,
    IReadOnlyList<KaplanMeierRow> SurvivalAt);

/// Time from the first session to response onset among eligible courses, non-responders censored, in days and in
/// sessions received.
public sealed record TimeToResponse(SurvivalAnalysis Days, SurvivalAnalysis Sessions);

/// Time from response onset to its end (loss of response or relapse, as the outcome definitions choose), in days,
/// among responders.
public sealed record DurabilityAnalysis(SurvivalAnalysis Days);

/// Mean PHQ-9 by week among eligible courses, and the mixed-model slope.
public sealed record TrajectoryAnalysis(IReadOnlyList<WeeklyMean> Weeks, TrajectorySlope? Slope);

/// Week 0 is the baseline; week k >= 1 holds each course's last assessment on days 7(k-1)+1 to 7k after the first
/// session (day 0 after the session counts in week 1). Mean with a t-based 95% interval; null where undefined.
public sealed record WeeklyMean(int Week, int Courses, double? Mean, double? Lower, double? Upper);

/// The "time" fixed effect (PHQ-9 points per week) of PHQ-9 ~ 1 + weeks + (1 + weeks | course) by REML, over
/// Courses courses and Observations assessments; Subsampled when the courses are a deterministic subsample.
public sealed record TrajectorySlope(int Courses, int Observations, bool Subsampled, FixedEffect? PerWeek, string? Problem);

/// Item 9 among courses with a baseline item 9 (itemised baseline). New during treatment: among those at 0 at
/// baseline with a later item 9; resolved: among those positive at baseline with a later item 9 (last one 0).
public sealed record Item9Summary(
    int BaselineKnown,
    Rate PositiveAtBaseline,
    int NegativeAtBaseline,
    Rate NewDuringTreatment,
    Rate Resolved);

/// Tests across the groups (present only when the report is grouped).
public sealed record GroupComparisons(
    LogRankTest? TimeToResponseDays,
    LogRankTest? TimeToResponseSessions,
    LogRankTest? Durability,
    CoxComparison? TimeToResponseAdjusted);

/// Cox model of time to response (days) on the group (treatment-coded against ReferenceGroup, the group with the
/// most eligible courses) and the baseline PHQ-9 total ("baselineTotal"). Group terms are named "group" + label.
public sealed record CoxComparison(string ReferenceGroup, CoxResult Fit);
