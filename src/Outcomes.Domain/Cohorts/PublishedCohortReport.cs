using System.Text.Json.Serialization;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Cohorts;

/// Why a published value is missing. Zero is always shown; these reasons never mean "no data".
[JsonConverter(typeof(JsonStringEnumConverter<SuppressionReason>))]
public enum SuppressionReason
{
    /// A count from 1 to the threshold minus one.
    [JsonStringEnumMemberName("below-threshold")] BelowThreshold,

    /// Hidden so that a suppressed count cannot be recovered from a total and the other counts.
    [JsonStringEnumMemberName("complementary")] Complementary,

    /// The whole group has fewer courses than the threshold.
    [JsonStringEnumMemberName("small-group")] SmallGroup,

    /// A rate, mean or curve whose numerator or denominator is suppressed.
    [JsonStringEnumMemberName("derived-from-suppressed")] DerivedFromSuppressed,

    /// Part of a survival curve where fewer than the threshold were at risk.
    [JsonStringEnumMemberName("few-at-risk")] FewAtRisk,

    /// A survival estimate that would reveal fewer events than the threshold since the previous estimate shown.
    [JsonStringEnumMemberName("few-events")] FewEvents,

    /// Protected tier: a value not published at all (a model over too few courses, a mean over fewer than two, a
    /// curve past the end of its grid). The one reason label of that tier.
    [JsonStringEnumMemberName("protected")] Protected,
}

/// A published count: the value, or null and the reason it is suppressed.
public readonly record struct Cell(int? Value, SuppressionReason? Suppressed)
{
    public static Cell Of(int value) => new(value, null);

    public static Cell Hidden(SuppressionReason reason) => new(null, reason);

    [JsonIgnore]
    public bool IsShown => Value is not null;
}

/// A cohort report safe to publish: the same structure as CohortReport, with every figure as its disclosure tier
/// publishes it (analytics/methods/disclosure-control.md). Only ReportDisclosure creates one.
public sealed record PublishedCohortReport
{
    internal PublishedCohortReport() { }

    public required ReportDefinition Definition { get; init; }
    public required ReportProvenance Provenance { get; init; }
    public required PublishedGroup Overall { get; init; }
    public required IReadOnlyList<PublishedGroup> Groups { get; init; }
    public required PublishedComparisons? Comparisons { get; init; }

    /// The tier the report was published in, its parameters and (protected tier) its release point.
    public required Disclosure.DisclosureStatement Disclosure { get; init; }
}

/// One group (Group null: the whole cohort). A withheld group has only its label and the reason.
public sealed record PublishedGroup(
    string? Group,
    SuppressionReason? Withheld,
    PublishedCounts? Counts,
    PublishedResponse? Response,
    PublishedTimeToResponse? TimeToResponse,
    PublishedDurability? Durability,
    PublishedTrajectory? Trajectory,
    PublishedItem9? Item9);

public sealed record PublishedCounts(
    Cell Enrolled,
    Cell WithBaseline,
    Cell Eligible,
    IReadOnlyList<PublishedFunnelStep> Funnel,
    IReadOnlyList<PublishedEndReason> EndReasons);

public sealed record PublishedFunnelStep(int Sessions, bool OrMore, Cell Courses);

public sealed record PublishedEndReason(string Reason, Cell Courses);

/// A proportion with its Wilson 95% interval; estimate and limits are null when either count is suppressed.
public sealed record PublishedRate(Cell Events, Cell N, double? Estimate, double? Lower, double? Upper, SuppressionReason? Suppressed);

/// The published rates of Measures.Rates, in that order.
[JsonConverter(typeof(RateSetJsonConverter<PublishedResponse, PublishedRate>))]
public sealed record PublishedResponse(int InductionWindowDays, IReadOnlyList<PublishedRate> Rates) : IRateSet<PublishedResponse, PublishedRate>
{
    public PublishedRate this[Measure measure] => Rates[measure.RateIndex];

    public static PublishedResponse Create(int inductionWindowDays, IReadOnlyList<PublishedRate> rates) => new(inductionWindowDays, rates);
}

/// A Kaplan-Meier curve as published: its steps (each one at least threshold events), exact up to ShownUntil
/// (exclusive; null when the whole curve is shown), numbers at risk, median and estimates at requested times.
public sealed record PublishedSurvival(
    Cell N,
    Cell Events,
    SuppressionReason? Withheld,
    IReadOnlyList<SurvivalStep> Curve,
    double? ShownUntil,
    SuppressionReason? CurveEnd,
    PublishedMedian Median,
    IReadOnlyList<PublishedAtRisk> AtRisk,
    IReadOnlyList<PublishedSurvivalAt> SurvivalAt);

/// The curve drops to Survival at Time (log-scale 95% limits).
public sealed record SurvivalStep(double Time, double Survival, double? Lower, double? Upper);

public sealed record PublishedAtRisk(double Time, Cell AtRisk);

public sealed record PublishedSurvivalAt(double Time, double? Survival, double? Lower, double? Upper, SuppressionReason? Suppressed);

/// Median time and its limits; null when not reached, or (with a reason) when beyond the part of the curve shown.
public sealed record PublishedMedian(double? Estimate, double? Lower, double? Upper, SuppressionReason? Suppressed);

public sealed record PublishedTimeToResponse(PublishedSurvival Days, PublishedSurvival Sessions);

public sealed record PublishedDurability(PublishedSurvival Days);

public sealed record PublishedTrajectory(IReadOnlyList<PublishedWeek> Weeks, PublishedSlope? Slope);

public sealed record PublishedWeek(int Week, Cell Courses, double? Mean, double? Lower, double? Upper, SuppressionReason? Suppressed);

public sealed record PublishedSlope(
    Cell Courses,
    Cell Observations,
    bool Subsampled,
    double? PerWeek,
    double? Se,
    string? Problem,
    SuppressionReason? Suppressed);

public sealed record PublishedItem9(
    Cell BaselineKnown,
    PublishedRate PositiveAtBaseline,
    Cell NegativeAtBaseline,
    PublishedRate NewDuringTreatment,
    PublishedRate Resolved);

public sealed record PublishedComparisons(
    PublishedLogRank? TimeToResponseDays,
    PublishedLogRank? TimeToResponseSessions,
    PublishedLogRank? Durability,
    PublishedCox? TimeToResponseAdjusted);

/// The log-rank test over all groups (withheld ones included in the statistic, their rows suppressed).
public sealed record PublishedLogRank(double ChiSquare, int Df, double? P, IReadOnlyList<PublishedLogRankGroup> Groups);

public sealed record PublishedLogRankGroup(string Group, Cell N, Cell Observed, double? Expected);

public sealed record PublishedCox(
    string ReferenceGroup,
    Cell N,
    Cell Events,
    bool Converged,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<PublishedHazardRatio> HazardRatios);

/// One Cox term: a group against the reference (Group set) or the baseline total (per point).
public sealed record PublishedHazardRatio(
    string Term,
    string? Group,
    double? HazardRatio,
    double? Lower,
    double? Upper,
    double? P,
    SuppressionReason? Suppressed);
