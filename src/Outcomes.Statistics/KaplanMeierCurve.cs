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
/// <remarks>Undefined values are kept as NaN inside, so a table of a million rows carries no nullable padding.</remarks>
public readonly record struct KaplanMeierRow
{
    private readonly double _stdErr;
    private readonly double _lower;
    private readonly double _upper;

    /// <summary>Creates a row; null marks a value R reports as NA.</summary>
    public KaplanMeierRow(
        double time, int nRisk, int nEvent, int nCensor, double survival, double? stdErr, double? lower, double? upper)
    {
        Time = time;
        NRisk = nRisk;
        NEvent = nEvent;
        NCensor = nCensor;
        Survival = survival;
        _stdErr = stdErr ?? double.NaN;
        _lower = lower ?? double.NaN;
        _upper = upper ?? double.NaN;
    }

    /// <summary>The time (a distinct observed time, or a requested time in <see cref="KaplanMeier.At"/>).</summary>
    public double Time { get; init; }

    /// <summary>Subjects at risk: those with time ≥ <see cref="Time"/>.</summary>
    public int NRisk { get; init; }

    /// <summary>Events at this time (for requested times: since the previous requested time).</summary>
    public int NEvent { get; init; }

    /// <summary>Censorings at this time (for requested times: since the previous requested time).</summary>
    public int NCensor { get; init; }

    /// <summary>S(t).</summary>
    public double Survival { get; init; }

    /// <summary>
    /// Greenwood (1926) standard error of S(t): S(t)·√Σ dᵢ/(nᵢ(nᵢ − dᵢ)), as R's <c>summary.survfit</c> prints it
    /// (not survfit's internal std.err, which is on the log scale); null where R gives NA (S(t) = 0 after
    /// everyone at risk had the event).
    /// </summary>
    public double? StdErr
    {
        get => double.IsNaN(_stdErr) ? null : _stdErr;
        init => _stdErr = value ?? double.NaN;
    }

    /// <summary>Lower pointwise confidence limit; null where R gives NA.</summary>
    public double? Lower
    {
        get => double.IsNaN(_lower) ? null : _lower;
        init => _lower = value ?? double.NaN;
    }

    /// <summary>Upper pointwise confidence limit; null where R gives NA.</summary>
    public double? Upper
    {
        get => double.IsNaN(_upper) ? null : _upper;
        init => _upper = value ?? double.NaN;
    }
}

/// <summary>A survival time (a median or other quantile) with its confidence limits; null where not reached.</summary>
/// <param name="Estimate">The time at which the curve falls to the probability; null if it never does.</param>
/// <param name="Lower">The same time read off the lower confidence curve; null if that curve never falls so far.</param>
/// <param name="Upper">The same time read off the upper confidence curve; null if that curve never falls so far.</param>
public sealed record SurvivalTimeEstimate(double? Estimate, double? Lower, double? Upper);
