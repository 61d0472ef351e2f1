using System.Globalization;

namespace Outcomes.Statistics;

/// <summary>
/// Confidence intervals for a binomial proportion x/n. Wilson's score interval is the default for reports
/// (Brown, Cai &amp; DasGupta, Stat Sci 2001;16:101 show the Wald interval's coverage is erratic); the exact
/// Clopper-Pearson interval is offered.
/// </summary>
public static class Proportion
{
    /// <summary>
    /// Wilson (1927) score interval, as R's <c>prop.test(x, n, correct = FALSE)$conf.int</c> (equal to
    /// <c>binom::binom.confint(method = "wilson")</c>): with p̂ = x/n and z = Φ⁻¹((1 + level)/2),
    /// (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n); the lower limit is exactly 0 when x = 0 and
    /// the upper exactly 1 when x = n.
    /// </summary>
    /// <param name="events">x, the count with the outcome (0 ≤ x ≤ n).</param>
    /// <param name="n">Trials (≥ 0). With n = 0 there is no estimate: every value is null.</param>
    /// <param name="confidenceLevel">In (0, 1).</param>
    /// <exception cref="ArgumentException">x or n out of range, or the level outside (0, 1).</exception>
    public static ProportionEstimate Wilson(int events, int n, double confidenceLevel = 0.95)
    {
        Require(events, n, confidenceLevel);
        if (n == 0) return new ProportionEstimate(null, null, null, "wilson");
        var estimate = (double)events / n;
        var z = StandardNormal.Quantile((1 + confidenceLevel) / 2);
        // Operation order as in R's prop.test, so limits agree with R to the last bits.
        var z22n = z * z / (2.0 * n);
        var spread = z * Math.Sqrt(estimate * (1 - estimate) / n + z22n / (2.0 * n));
        var upper = estimate >= 1 ? 1 : (estimate + z22n + spread) / (1 + 2 * z22n);
        var lower = estimate <= 0 ? 0 : (estimate + z22n - spread) / (1 + 2 * z22n);
        return new ProportionEstimate(estimate, Math.Max(lower, 0), Math.Min(upper, 1), "wilson");
    }

    /// <summary>
    /// Clopper-Pearson (1934) exact interval, as R's <c>binom.test(x, n)$conf.int</c>: with α = (1 − level)/2,
    /// lower = B⁻¹(α; x, n − x + 1) (0 when x = 0), upper = B⁻¹(1 − α; x + 1, n − x) (1 when x = n),
    /// B⁻¹ the beta quantile.
    /// </summary>
    /// <param name="events">x, the count with the outcome (0 ≤ x ≤ n).</param>
    /// <param name="n">Trials (≥ 0). With n = 0 there is no estimate: every value is null.</param>
    /// <param name="confidenceLevel">In (0, 1).</param>
    /// <exception cref="ArgumentException">x or n out of range, or the level outside (0, 1).</exception>
    public static ProportionEstimate ClopperPearson(int events, int n, double confidenceLevel = 0.95)
    {
        Require(events, n, confidenceLevel);
        if (n == 0) return new ProportionEstimate(null, null, null, "clopper-pearson");
        var alpha = (1 - confidenceLevel) / 2;
        var lower = events == 0 ? 0 : BetaQuantile.Quantile(alpha, events, n - events + 1);
        var upper = events == n ? 1 : BetaQuantile.Quantile(1 - alpha, events + 1, n - events);
        return new ProportionEstimate((double)events / n, lower, upper, "clopper-pearson");
    }

    private static void Require(int events, int n, double confidenceLevel)
    {
        if (n < 0)
            throw new ArgumentException($"n is {n}: the number of trials cannot be negative", nameof(n));
        if (events < 0 || events > n)
            throw new ArgumentException($"events is {events}: it must be between 0 and n ({n})", nameof(events));
        if (!(confidenceLevel is > 0 and < 1))
            throw new ArgumentException(
                $"confidenceLevel is {confidenceLevel.ToString(CultureInfo.InvariantCulture)}: it must be between 0 and 1 (exclusive)",
                nameof(confidenceLevel));
    }
}

/// <summary>A proportion with its confidence interval.</summary>
/// <param name="Estimate">x/n; null when n = 0.</param>
/// <param name="Lower">Lower confidence limit; null when n = 0.</param>
/// <param name="Upper">Upper confidence limit; null when n = 0.</param>
/// <param name="Method">"wilson" or "clopper-pearson".</param>
public sealed record ProportionEstimate(double? Estimate, double? Lower, double? Upper, string Method);
