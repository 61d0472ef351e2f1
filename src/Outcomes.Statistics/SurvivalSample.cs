using System.Globalization;

namespace Outcomes.Statistics;

/// <summary>
/// Right-censored survival data, checked, split into groups and sorted by time once, so that the
/// Kaplan-Meier curves and the log-rank test of one cohort share a single sort.
/// </summary>
/// <remarks>
/// Times closer than √ε (ε = 2⁻⁵², about 1.5e-8), absolutely or relative to the mean of the distinct times,
/// are treated as one time, the first of the run, exactly as R's <c>survival::aeqSurv</c> does before
/// <c>survfit</c> and <c>survdiff</c>: without it, 0.1 + 0.2 and 0.3 would be two event times.
/// </remarks>
public sealed class SurvivalSample
{
    private static readonly double TieTolerance = Math.Sqrt(Math.Pow(2, -52));

    private SurvivalSample(double[] time, int[] code, string?[] groups, int[] groupSizes)
    {
        Time = time;
        Code = code;
        GroupLabels = groups;
        GroupSizes = groupSizes;
    }

    /// <summary>Times in ascending order, near-ties merged.</summary>
    internal double[] Time { get; }

    /// <summary>For the subject at the same position in <see cref="Time"/>: group index × 2 + status.</summary>
    internal int[] Code { get; }

    internal string?[] GroupLabels { get; }

    internal int[] GroupSizes { get; }

    /// <summary>Number of subjects.</summary>
    public int Count => Time.Length;

    /// <summary>
    /// Group labels in analysis order (R's factor-level order: sorted), or a single null label when the
    /// sample was created without groups.
    /// </summary>
    public IReadOnlyList<string?> Groups => GroupLabels;

    /// <summary>One group of subjects: time to event or censoring, and status (1 = event, 0 = censored).</summary>
    /// <exception cref="ArgumentException">
    /// The arrays differ in length, a time is negative or not finite, or a status is neither 0 nor 1.
    /// </exception>
    public static SurvivalSample Create(double[] time, int[] status)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(status);
        RequireSameLength(time.Length, status.Length, nameof(status));
        var code = new int[time.Length];
        var range = new TimeRange();
        for (var i = 0; i < time.Length; i++)
        {
            range.Add(RequireValid(time, status, i));
            code[i] = status[i];
        }
        return Sorted(time, code, range, [null], [time.Length]);
    }

    /// <summary>
    /// Subjects in groups: time to event or censoring, status (1 = event, 0 = censored) and a group label
    /// per subject. Groups are ordered as R orders factor levels: by <paramref name="groupOrder"/>, by
    /// default ordinal for strings (R's sort in the C locale) and the natural order otherwise (numbers
    /// numerically). The label printed for a group is its invariant-culture string.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The arrays differ in length, a time is negative or not finite, a status is neither 0 nor 1,
    /// or a group label is null.
    /// </exception>
    public static SurvivalSample Create<TGroup>(
        double[] time, int[] status, TGroup[] group, IComparer<TGroup>? groupOrder = null)
        where TGroup : notnull
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(group);
        RequireSameLength(time.Length, status.Length, nameof(status));
        RequireSameLength(time.Length, group.Length, nameof(group));

        // Group indices are first given in order of appearance, then renumbered in sorted label order.
        var firstSeen = new Dictionary<TGroup, int>();
        var labels = new List<TGroup>();
        var provisional = new int[time.Length];
        var range = new TimeRange();
        for (var i = 0; i < time.Length; i++)
        {
            range.Add(RequireValid(time, status, i));
            var label = group[i];
            if (label is null)
                throw new ArgumentException($"group[{i}] is null: every subject needs a group label", nameof(group));
            if (!firstSeen.TryGetValue(label, out var index))
            {
                index = labels.Count;
                firstSeen.Add(label, index);
                labels.Add(label);
            }
            provisional[i] = index;
        }

        var order = groupOrder ?? (typeof(TGroup) == typeof(string)
            ? (IComparer<TGroup>)(object)StringComparer.Ordinal
            : Comparer<TGroup>.Default);
        var sortedLabels = labels.ToArray();
        var rankOfProvisional = new int[sortedLabels.Length];
        var provisionalOfRank = new int[sortedLabels.Length];
        for (var g = 0; g < provisionalOfRank.Length; g++) provisionalOfRank[g] = g;
        Array.Sort(sortedLabels, provisionalOfRank, order);
        for (var rank = 0; rank < provisionalOfRank.Length; rank++) rankOfProvisional[provisionalOfRank[rank]] = rank;

        var sizes = new int[sortedLabels.Length];
        var code = provisional;
        for (var i = 0; i < code.Length; i++)
        {
            var rank = rankOfProvisional[provisional[i]];
            sizes[rank]++;
            code[i] = rank * 2 + status[i];
        }

        var names = new string?[sortedLabels.Length];
        for (var g = 0; g < names.Length; g++)
            names[g] = Convert.ToString(sortedLabels[g], CultureInfo.InvariantCulture) ?? string.Empty;
        return Sorted(time, code, range, names, sizes);
    }

    private static SurvivalSample Sorted(double[] time, int[] code, TimeRange range, string?[] groups, int[] sizes)
    {
        var n = time.Length;
        var sorted = new double[n];
        if (range.AllWholeNumbers && range.Max <= Math.Min(Math.Max(4.0 * n, 1 << 16), 1 << 24))
        {
            // Whole days, the usual case: one counting pass instead of a comparison or radix sort.
            var sortedCode = new int[n];
            TimeOrder.SortWholeNumbers(time, code, (int)range.Max, sorted, sortedCode);
            code = sortedCode;
        }
        else
        {
            var keys = new ulong[n];
            // Adding +0.0 turns -0.0 into +0.0, whose bit pattern sorts first.
            for (var i = 0; i < n; i++) keys[i] = BitConverter.DoubleToUInt64Bits(time[i] + 0.0);
            TimeOrder.Sort(keys, code);
            for (var i = 0; i < n; i++) sorted[i] = BitConverter.UInt64BitsToDouble(keys[i]);
        }
        MergeNearTies(sorted);
        return new SurvivalSample(sorted, code, groups, sizes);
    }

    private static void MergeNearTies(double[] sorted)
    {
        // First pass: the mean of the distinct times and the smallest gap between them; the second pass,
        // which rewrites times, runs only when some gap is within the tolerance.
        var sum = 0.0;
        var distinct = 0;
        var smallestGap = double.PositiveInfinity;
        var previous = double.NaN;
        foreach (var t in sorted)
        {
            if (t == previous) continue;
            if (distinct > 0) smallestGap = Math.Min(smallestGap, t - previous);
            sum += t;
            distinct++;
            previous = t;
        }
        if (distinct < 2) return;
        var mean = sum / distinct;
        if (!IsNearTie(smallestGap, mean)) return;

        var cut = sorted[0];
        previous = sorted[0];
        for (var i = 1; i < sorted.Length; i++)
        {
            var t = sorted[i];
            if (t != previous)
            {
                if (!IsNearTie(t - previous, mean)) cut = t;
                previous = t;
            }
            sorted[i] = cut;
        }
    }

    private static bool IsNearTie(double gap, double meanTime) => gap <= TieTolerance || gap / meanTime <= TieTolerance;

    private static void RequireSameLength(int timeLength, int otherLength, string other)
    {
        if (timeLength != otherLength)
            throw new ArgumentException(
                $"time has {timeLength} values but {other} has {otherLength}: both need one value per subject", other);
    }

    private static double RequireValid(double[] time, int[] status, int i)
    {
        var t = time[i];
        if (!(t >= 0) || double.IsPositiveInfinity(t))
            throw new ArgumentException(
                $"time[{i}] is {t.ToString(CultureInfo.InvariantCulture)}: times must be finite and not negative", nameof(time));
        var s = status[i];
        if (s is not (0 or 1))
            throw new ArgumentException(
                $"status[{i}] is {s}: status must be 1 (event) or 0 (censored)", nameof(status));
        return t;
    }

    private struct TimeRange()
    {
        public bool AllWholeNumbers { get; private set; } = true;

        public double Max { get; private set; }

        public void Add(double t)
        {
            if (t > Max) Max = t;
            if (t != Math.Floor(t)) AllWholeNumbers = false;
        }
    }
}
