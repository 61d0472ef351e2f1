namespace Outcomes.Statistics;

/// <summary>
/// A Kaplan-Meier survival curve for one group, as R's <c>survival::survfit</c> reports it.
/// </summary>
/// <param name="Group">The group label; null for a curve over all subjects.</param>
/// <param name="N">Subjects in the group.</param>
/// <param name="Events">Events observed.</param>
/// <param name="Median">Median survival time and its confidence limits, by the rule of R's <c>print.survfit</c>.</param>
/// <param name="Table">One row per distinct time (event or censoring), in time order.</param>
public sealed record KaplanMeierCurve(
    string? Group,
    int N,
    int Events,
    SurvivalTimeEstimate Median,
    IReadOnlyList<KaplanMeierRow> Table);

/// <summary>
/// The Kaplan-Meier estimate at one time: S(t) = Π over event times tᵢ ≤ t of (1 − dᵢ/nᵢ) (Kaplan &amp; Meier 1958).
/// </summary>
/// <param name="Time">The time (a distinct observed time, or a requested time in <see cref="KaplanMeier.At"/>).</param>
/// <param name="NRisk">Subjects at risk: those with time ≥ <paramref name="Time"/>.</param>
/// <param name="NEvent">Events at this time (for requested times: since the previous requested time).</param>
/// <param name="NCensor">Censorings at this time (for requested times: since the previous requested time).</param>
/// <param name="Survival">S(t).</param>
/// <param name="StdErr">
/// Greenwood (1926) standard error of S(t): S(t)·√Σ dᵢ/(nᵢ(nᵢ − dᵢ)), as R's <c>summary.survfit</c> prints it;
/// null where R gives NA (S(t) = 0 after everyone at risk had the event).
/// </param>
/// <param name="Lower">Lower pointwise confidence limit; null where R gives NA.</param>
/// <param name="Upper">Upper pointwise confidence limit; null where R gives NA.</param>
public readonly record struct KaplanMeierRow(
    double Time,
    int NRisk,
    int NEvent,
    int NCensor,
    double Survival,
    double? StdErr,
    double? Lower,
    double? Upper);

/// <summary>A survival time (a median or other quantile) with its confidence limits; null where not reached.</summary>
/// <param name="Estimate">The time at which the curve falls to the probability; null if it never does.</param>
/// <param name="Lower">The same time read off the lower confidence curve; null if that curve never falls so far.</param>
/// <param name="Upper">The same time read off the upper confidence curve; null if that curve never falls so far.</param>
public sealed record SurvivalTimeEstimate(double? Estimate, double? Lower, double? Upper);
