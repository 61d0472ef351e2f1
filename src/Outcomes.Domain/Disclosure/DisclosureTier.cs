using System.Text.Json.Serialization;

namespace Outcomes.Domain.Disclosure;

/// Who asks about whose data decides how a figure is published (analytics/methods/disclosure-control.md).
[JsonConverter(typeof(JsonStringEnumConverter<DisclosureTier>))]
public enum DisclosureTier
{
    /// The caller's own clinics, for the clinic's quality team or an administrator: exact, nothing withheld. Its staff
    /// hold the record anyway; hiding its own numbers protects no one.
    [JsonStringEnumMemberName("own-clinics")] OwnClinics,

    /// Anything that crosses a clinic boundary or goes to a researcher: cell-key perturbation at release points.
    [JsonStringEnumMemberName("protected")] Protected,

    /// A report a researcher computes with `outcomes report --from-export` over an export's released microdata:
    /// exact over what was released, which differs from the service's figures by what the release removed or
    /// generalised.
    [JsonStringEnumMemberName("released-microdata")] ReleasedMicrodata,
}

/// The parameters of the protected tier, stated in every protected report so a reader knows the error bound.
public sealed record PerturbationParameters
{
    public string Method { get; init; } = "cell-key";

    /// Record keys are 0..RecordKeyRange-1; a cell's key is the sum of its courses' keys modulo the range.
    public int RecordKeyRange { get; init; } = RecordKeys.Range;

    /// Every published count is within this many of the true count (0 stays 0).
    public int MaximumCountNoise { get; init; } = CellKeyTable.MaximumCountNoise;

    public double CountNoiseVariance { get; init; } = CellKeyTable.CountNoiseVariance;

    /// Sums of PHQ-9 totals get normal noise with this standard deviation (the largest single contribution).
    public double SumNoiseStandardDeviation { get; init; } = 27;

    /// Survival curves and numbers at risk on these fixed grids (life tables from perturbed counts).
    public int TimeToResponseGridDays { get; init; } = 7;
    public int TimeToResponseGridEndDays { get; init; } = 182;
    public int TimeToResponseGridEndSessions { get; init; } = 24;
    public int DurabilityGridDays { get; init; } = 15;
    public int DurabilityGridEndDays { get; init; } = 360;

    /// A figure is published only over a base of at least this many (perturbed) courses: a group, a rate's
    /// denominator, a weekly mean, a survival curve. A filter that isolates one course, or a handful, then shows nothing
    /// about them, and a published count of 1 or more ("0 stays 0") speaks of a base perturbed to at least this many,
    /// truly at least 3, never of one or two (ONS's minimum population threshold for flexible tables). 5 keeps every headline figure of a group of 20 eligible
    /// courses: its responders, the base of durability, are rarely fewer.
    public int MinimumBase { get; init; } = 5;

    /// Model results (mixed-model slope, log-rank, Cox) only when every group they rest on has at least this many
    /// (perturbed) eligible courses, and rounded: at that size one course moves an estimate by less than the rounding.
    public int MinimumModelCourses { get; init; } = 50;

    public double[] TimeToResponseDayPoints() => Grid(TimeToResponseGridDays, TimeToResponseGridEndDays);
    public double[] TimeToResponseSessionPoints() => Grid(1, TimeToResponseGridEndSessions);
    public double[] DurabilityDayPoints() => Grid(DurabilityGridDays, DurabilityGridEndDays);

    private static double[] Grid(int step, int end)
    {
        var points = new double[end / step + 1];
        for (var j = 0; j < points.Length; j++) points[j] = j * step;
        return points;
    }
}

/// The release point a protected report stands at: protected figures are answered only as of a release (a calendar
/// point, e.g. a month end), so one new fact cannot be isolated between two answers.
public sealed record ReleasePoint(int Id, long EventStorePosition, DateTimeOffset CutAt);

/// What a published report says about how it was disclosed.
public sealed record DisclosureStatement(DisclosureTier Tier, PerturbationParameters? Perturbation, ReleasePoint? Release, string Rule)
{
    public static DisclosureStatement OwnClinics { get; } = new(DisclosureTier.OwnClinics, null, null,
        "Your own clinics' courses, exact: nothing is perturbed or withheld.");

    public static DisclosureStatement ReleasedMicrodata(int cohortSubjects, int generalisedInCohort, int suppressedInScope) => new(
        DisclosureTier.ReleasedMicrodata, null, null,
        $"Computed over an export's released microdata, exactly: {cohortSubjects} subjects in this cohort, {generalisedInCohort} of them with " +
        $"generalised values. The release suppressed {suppressedInScope} subjects of your clinics for k-anonymity; those of this cohort " +
        "(up to that many) are not in it. So counts, rates and curves can differ from the service's report of the same cohort.");

    public static DisclosureStatement Protected(PerturbationParameters parameters, ReleasePoint? release) => new(
        DisclosureTier.Protected, parameters, release,
        $"Counts are perturbed by the cell-key method (each within ±{parameters.MaximumCountNoise} of the true count; 0 stays 0); " +
        "rates, means and survival curves are derived from perturbed counts and sums, curves on a fixed grid; " +
        $"a group, rate, mean or curve over fewer than {parameters.MinimumBase} courses is not shown; " +
        $"models are shown only for groups of at least {parameters.MinimumModelCourses} courses, rounded. " +
        "Tables are not additive. Figures stand at a release point, not at any event-store position.");
}
