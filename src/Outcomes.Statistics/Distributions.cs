using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Outcomes.Statistics;

/// <summary>The standard normal distribution, for the callers outside Statistics that need its quantiles.</summary>
public static class StandardNormal
{
    /// <summary>z with P(Z ≤ z) = p, as R's qnorm(p).</summary>
    public static double Quantile(double p) => Normal.InvCDF(0, 1, p);
}

/// <summary>Student's t distribution, for confidence intervals of means.</summary>
public static class StudentT
{
    /// <summary>t with P(T ≤ t) = p for T ~ t(degreesOfFreedom), as R's qt(p, df).</summary>
    public static double Quantile(double p, double degreesOfFreedom) =>
        MathNet.Numerics.Distributions.StudentT.InvCDF(0, 1, degreesOfFreedom, p);
}

internal static class ChiSquaredTail
{
    /// <summary>P(X > x) for X ~ χ²(df), computed directly (not 1 − CDF) so small p keep their digits, as pchisq(lower.tail = FALSE).</summary>
    public static double UpperTail(double x, int degreesOfFreedom) =>
        x <= 0 ? 1 : SpecialFunctions.GammaUpperRegularized(degreesOfFreedom / 2.0, x / 2);
}

internal static class BetaQuantile
{
    private const int MaxIterations = 2000;

    /// <summary>x with I_x(a, b) = p, as R's qbeta(p, a, b).</summary>
    public static double Quantile(double p, double a, double b)
    {
        if (p <= 0) return 0;
        if (p >= 1) return 1;
        // Solve on the side of 0.5 where the answer lies, so an answer near 1 is not computed as 1 − tiny.
        return a / (a + b) <= 0.5 ? Solve(p, a, b) : 1 - Solve(1 - p, b, a);
    }

    private static double Solve(double p, double a, double b)
    {
        var logBeta = SpecialFunctions.BetaLn(a, b);
        double low = 0, high = 1;
        var x = a / (a + b);
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            var f = SpecialFunctions.BetaRegularized(a, b, x) - p;
            if (f == 0) return x;
            if (f < 0) low = x;
            else high = x;

            var density = Math.Exp((a - 1) * Math.Log(x) + (b - 1) * Math.Log(1 - x) - logBeta);
            var next = x - f / density;
            if (!(next > low && next < high)) next = low + (high - low) / 2;
            if (Math.Abs(next - x) <= 2 * double.Epsilon || Math.Abs(next - x) <= 1e-16 * x) return next;
            if (high - low <= 4e-16 * high) return low + (high - low) / 2;
            x = next;
        }
        return x;
    }
}
