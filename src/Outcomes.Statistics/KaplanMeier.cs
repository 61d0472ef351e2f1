using System.Globalization;

namespace Outcomes.Statistics;

/// <summary>
/// Kaplan-Meier survival curves with Greenwood variance, reproducing R's <c>survival::survfit</c>
/// (type "kaplan-meier", error "greenwood"), <c>summary.survfit</c>, <c>print.survfit</c> and
/// <c>quantile.survfit</c>.
/// </summary>
/// <remarks>
/// S(t) = Π_{tᵢ ≤ t} (1 − dᵢ/nᵢ) (Kaplan &amp; Meier, JASA 1958;53:457); Var(log S(t)) ≈ σ²(t) = Σ_{tᵢ ≤ t} dᵢ/(nᵢ(nᵢ − dᵢ))
/// (Greenwood 1926); SE(S) = S·σ. Pointwise limits with z = Φ⁻¹(1 − (1 − level)/2): see <see cref="SurvivalIntervalType"/>.
/// </remarks>
public static class KaplanMeier
{
    // R's print.survfit and quantile.survfit: sqrt(.Machine$double.eps), as in all.equal.
    private static readonly double Tolerance = Math.Sqrt(Math.Pow(2, -52));

    /// <summary>One curve over all subjects.</summary>
    /// <param name="time">Time to event or censoring, finite and ≥ 0.</param>
    /// <param name="status">1 = event, 0 = censored.</param>
    /// <param name="confidenceLevel">Level of the pointwise intervals and of the median's interval, in (0, 1).</param>
    /// <param name="intervalType">Scale of the pointwise intervals (R's conf.type).</param>
    /// <exception cref="ArgumentException">See <see cref="SurvivalSample.Create(double[], int[])"/>; or the level is outside (0, 1).</exception>
    public static KaplanMeierCurve Estimate(
        double[] time, int[] status,
        double confidenceLevel = 0.95, SurvivalIntervalType intervalType = SurvivalIntervalType.Log)
    {
        RequireLevel(confidenceLevel);
        return EstimateByGroup(SurvivalSample.Create(time, status), confidenceLevel, intervalType)[0];
    }

    /// <summary>One curve per group, groups in R's factor-level order (sorted labels).</summary>
    /// <exception cref="ArgumentException">See <see cref="SurvivalSample.Create{TGroup}"/>; or the level is outside (0, 1).</exception>
    public static IReadOnlyList<KaplanMeierCurve> EstimateByGroup<TGroup>(
        double[] time, int[] status, TGroup[] group,
        double confidenceLevel = 0.95, SurvivalIntervalType intervalType = SurvivalIntervalType.Log,
        IComparer<TGroup>? groupOrder = null)
        where TGroup : notnull
    {
        RequireLevel(confidenceLevel);
        return EstimateByGroup(SurvivalSample.Create(time, status, group, groupOrder), confidenceLevel, intervalType);
    }

    /// <summary>One curve per group of an already sorted sample (one curve, group null, if it has no groups).</summary>
    /// <exception cref="ArgumentException">The level is outside (0, 1) or the interval type is unknown.</exception>
    public static IReadOnlyList<KaplanMeierCurve> EstimateByGroup(
        SurvivalSample sample,
        double confidenceLevel = 0.95, SurvivalIntervalType intervalType = SurvivalIntervalType.Log)
    {
        ArgumentNullException.ThrowIfNull(sample);
        RequireLevel(confidenceLevel);
        if (!Enum.IsDefined(intervalType))
            throw new ArgumentException($"{intervalType} is not a confidence interval type", nameof(intervalType));
        var z = StandardNormal.Quantile(1 - (1 - confidenceLevel) / 2);

        var time = sample.Time;
        var code = sample.Code;
        var n = time.Length;
        var groups = sample.GroupLabels.Length;

        // First pass: rows per group, so each table is allocated once at its final size.
        var stamp = new int[groups];
        Array.Fill(stamp, -1);
        var rows = new int[groups];
        for (var i = 0; i < n;)
        {
            var t = time[i];
            var j = i;
            for (; j < n && time[j] == t; j++)
            {
                var g = code[j] >> 1;
                if (stamp[g] == i) continue;
                stamp[g] = i;
                rows[g]++;
            }
            i = j;
        }

        var tables = new KaplanMeierRow[groups][];
        for (var g = 0; g < groups; g++) tables[g] = new KaplanMeierRow[rows[g]];
        var filled = new int[groups];
        var atRisk = (int[])sample.GroupSizes.Clone();
        var survival = new double[groups];
        Array.Fill(survival, 1.0);
        var greenwood = new double[groups];
        var totalEvents = new int[groups];
        var events = new int[groups];
        var censored = new int[groups];
        var touched = new int[groups];
        Array.Fill(stamp, -1);

        for (var i = 0; i < n;)
        {
            var t = time[i];
            var touchedCount = 0;
            var j = i;
            for (; j < n && time[j] == t; j++)
            {
                var c = code[j];
                var g = c >> 1;
                if (stamp[g] != i)
                {
                    stamp[g] = i;
                    touched[touchedCount++] = g;
                    events[g] = 0;
                    censored[g] = 0;
                }
                if ((c & 1) == 1) events[g]++;
                else censored[g]++;
            }
            i = j;

            for (var k = 0; k < touchedCount; k++)
            {
                var g = touched[k];
                var nRisk = atRisk[g];
                var d = events[g];
                if (d > 0)
                {
                    // Same operation order as survfitkm.c, so results agree with R to the last bits.
                    survival[g] *= (nRisk - d) / (double)nRisk;
                    greenwood[g] += d / ((double)nRisk * (nRisk - d));
                }
                tables[g][filled[g]++] = Row(t, nRisk, d, censored[g], survival[g], Math.Sqrt(greenwood[g]), z, intervalType);
                totalEvents[g] += d;
                atRisk[g] = nRisk - d - censored[g];
            }
        }

        var curves = new KaplanMeierCurve[groups];
        for (var g = 0; g < groups; g++)
        {
            var table = tables[g];
            curves[g] = new KaplanMeierCurve(
                sample.GroupLabels[g], sample.GroupSizes[g], totalEvents[g], Median(table), table);
        }
        return curves;
    }

    /// <summary>
    /// The curve read at chosen times, as R's <c>summary(fit, times = ...)</c>: times sorted; each row carries
    /// forward the estimate at the last distinct time ≤ t (before the first, S = 1, SE = 0, limits 1);
    /// NRisk counts subjects with time ≥ t; NEvent and NCensor count those since the previous requested time
    /// (for the first: from the start).
    /// </summary>
    /// <param name="curve">A curve from this class.</param>
    /// <param name="times">Times to read, finite and ≥ 0, in any order.</param>
    /// <param name="extend">
    /// false (R's default): times after the curve's last time are left out; true: they are reported with
    /// the last estimate and NRisk 0.
    /// </param>
    /// <exception cref="ArgumentException">A requested time is negative or not finite.</exception>
    public static IReadOnlyList<KaplanMeierRow> At(KaplanMeierCurve curve, double[] times, bool extend = false)
    {
        ArgumentNullException.ThrowIfNull(curve);
        ArgumentNullException.ThrowIfNull(times);
        for (var i = 0; i < times.Length; i++)
        {
            if (!(times[i] >= 0) || double.IsPositiveInfinity(times[i]))
                throw new ArgumentException(
                    $"times[{i}] is {times[i].ToString(CultureInfo.InvariantCulture)}: requested times must be finite and not negative",
                    nameof(times));
        }

        var table = curve.Table;
        if (table.Count == 0) return [];
        var wanted = (double[])times.Clone();
        Array.Sort(wanted);
        var lastTime = table[^1].Time;

        // R prepends a row at time 0 (survfit0) unless the curve already starts there.
        var start = table[0].Time == 0 ? null : (KaplanMeierRow?)new KaplanMeierRow(0, table[0].NRisk, 0, 0, 1, 0, 1, 1);

        var result = new List<KaplanMeierRow>(wanted.Length);
        var row = 0;
        var eventsSoFar = 0;
        var censoredSoFar = 0;
        var eventsReported = 0;
        var censoredReported = 0;
        foreach (var t in wanted)
        {
            if (!extend && t > lastTime) break;
            while (row < table.Count && table[row].Time <= t)
            {
                eventsSoFar += table[row].NEvent;
                censoredSoFar += table[row].NCensor;
                row++;
            }
            var carried = row > 0 ? table[row - 1] : start ?? table[0];
            var nRisk = row > 0 && table[row - 1].Time == t ? table[row - 1].NRisk
                : row < table.Count ? table[row].NRisk
                : 0;
            result.Add(carried with
            {
                Time = t,
                NRisk = nRisk,
                NEvent = eventsSoFar - eventsReported,
                NCensor = censoredSoFar - censoredReported,
            });
            eventsReported = eventsSoFar;
            censoredReported = censoredSoFar;
        }
        return result;
    }

    /// <summary>
    /// The time at which the curve falls to 1 − <paramref name="probability"/> (probability 0.5: the median),
    /// with limits from the confidence curves, by R's <c>quantile.survfit</c> rule: where the curve sits
    /// within √ε of the target over an interval, the midpoint of that interval (up to the last time if
    /// the curve ends there); null where not reached.
    /// </summary>
    /// <remarks>
    /// It can differ from <see cref="KaplanMeierCurve.Median"/> (R's <c>print.survfit</c> rule) in one case:
    /// a curve that stays at exactly 0.5 until its last time gives the midpoint here and the first such
    /// time there.
    /// </remarks>
    /// <exception cref="ArgumentException">The probability is outside [0, 1].</exception>
    public static SurvivalTimeEstimate Quantile(KaplanMeierCurve curve, double probability)
    {
        ArgumentNullException.ThrowIfNull(curve);
        if (!(probability is >= 0 and <= 1))
            throw new ArgumentException(
                $"probability is {probability.ToString(CultureInfo.InvariantCulture)}: it must be between 0 and 1",
                nameof(probability));
        var table = curve.Table;
        return new SurvivalTimeEstimate(
            FindQuantile(table, probability, r => r.Survival),
            FindQuantile(table, probability, r => r.Lower),
            FindQuantile(table, probability, r => r.Upper));
    }

    private static KaplanMeierRow Row(
        double time, int nRisk, int events, int censored, double survival, double sigma, double z, SurvivalIntervalType type)
    {
        var standardError = survival * sigma;
        double? lower = null, upper = null;
        switch (type)
        {
            case SurvivalIntervalType.Log when survival > 0:
                var halfWidth = z * sigma;
                var log = Math.Log(survival);
                lower = Math.Exp(log - halfWidth);
                upper = Math.Min(Math.Exp(log + halfWidth), 1);
                break;
            case SurvivalIntervalType.LogLog when survival > 0 && survival < 1:
                var logSurvival = Math.Log(survival);
                var scaled = z * sigma / logSurvival;
                lower = Math.Exp(-Math.Exp(Math.Log(-logSurvival) - scaled));
                upper = Math.Exp(-Math.Exp(Math.Log(-logSurvival) + scaled));
                break;
            case SurvivalIntervalType.Plain when survival > 0:
                var width = sigma * survival * z;
                lower = Math.Max(survival - width, 0);
                upper = Math.Min(survival + width, 1);
                break;
        }
        return new KaplanMeierRow(time, nRisk, events, censored, survival,
            double.IsNaN(standardError) ? null : standardError, lower, upper);
    }

    /// <summary>R's print.survfit rule (survmean's minmin) for the median and its limits.</summary>
    private static SurvivalTimeEstimate Median(KaplanMeierRow[] table) => new(
        FirstBelowHalf(table, r => r.Survival),
        FirstBelowHalf(table, r => r.Lower),
        FirstBelowHalf(table, r => r.Upper));

    private static double? FirstBelowHalf(KaplanMeierRow[] table, Func<KaplanMeierRow, double?> curve)
    {
        var first = -1;
        for (var i = 0; i < table.Length; i++)
        {
            if (curve(table[i]) is { } y && y < 0.5 + Tolerance)
            {
                first = i;
                break;
            }
        }
        if (first < 0) return null;
        var atFirst = curve(table[first])!.Value;
        if (Math.Abs(atFirst - 0.5) < Tolerance)
        {
            for (var i = first + 1; i < table.Length; i++)
            {
                if (curve(table[i]) is { } y && y < atFirst)
                    return (table[first].Time + table[i].Time) / 2;
            }
        }
        return table[first].Time;
    }

    /// <summary>R's quantile.survfit (findq) on x = (0, times), y = (0, 1 − curve), missing values as NA.</summary>
    private static double? FindQuantile(IReadOnlyList<KaplanMeierRow> table, double p, Func<KaplanMeierRow, double?> curve)
    {
        var m = table.Count + 1;
        var x = new double[m];
        var y = new double[m];
        var max = double.NegativeInfinity;
        for (var i = 0; i < m; i++)
        {
            x[i] = i == 0 ? 0 : table[i - 1].Time;
            y[i] = i == 0 ? 0 : 1 - curve(table[i - 1]) ?? double.NaN;
            if (y[i] > max) max = y[i];
        }
        if (max < p) return null;
        var xLast = x[m - 1];

        // Keep the first occurrence of each value (all missing values count as one value, as duplicated() sees NA).
        var keptX = new List<double>(m);
        var keptY = new List<double>(m);
        var seen = new HashSet<double>();
        var missingSeen = false;
        for (var i = 0; i < m; i++)
        {
            if (double.IsNaN(y[i]))
            {
                if (missingSeen) continue;
                missingSeen = true;
            }
            else if (!seen.Add(y[i])) continue;
            keptX.Add(x[i]);
            keptY.Add(y[i]);
        }

        var index1 = SmallestAtLeast(keptY, p, Tolerance);
        var index2 = SmallestAtLeast(keptY, p, -Tolerance);
        double? quantile = index1 >= 0 && index2 >= 0 ? (keptX[index1] + keptX[index2]) / 2 : null;
        if (p == 0) quantile = keptX[0];
        var yLast = keptY[^1];
        if (!double.IsNaN(yLast) && Math.Abs(p - yLast) < Tolerance)
            quantile = index1 >= 0 ? (keptX[index1] + xLast) / 2 : null;
        return quantile;
    }

    /// <summary>
    /// What approx(y + shift, seq_along(y), p, method = "constant", f = 1) returns: the position of the
    /// smallest shifted value ≥ p, or −1 (NA) when p lies outside the range of the shifted values.
    /// </summary>
    private static int SmallestAtLeast(List<double> y, double p, double shift)
    {
        var best = -1;
        var bestValue = double.PositiveInfinity;
        var smallest = double.PositiveInfinity;
        for (var i = 0; i < y.Count; i++)
        {
            if (double.IsNaN(y[i])) continue;
            var v = y[i] + shift;
            if (v < smallest) smallest = v;
            if (v >= p && v < bestValue)
            {
                bestValue = v;
                best = i;
            }
        }
        return p < smallest ? -1 : best;
    }

    private static void RequireLevel(double confidenceLevel)
    {
        if (!(confidenceLevel is > 0 and < 1))
            throw new ArgumentException(
                $"confidenceLevel is {confidenceLevel.ToString(CultureInfo.InvariantCulture)}: it must be between 0 and 1 (exclusive)",
                nameof(confidenceLevel));
    }
}
