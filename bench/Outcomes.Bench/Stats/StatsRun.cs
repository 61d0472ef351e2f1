namespace Outcomes.Bench.Stats;

/// <summary>A goal on the speed ratio R / ours (above 1: we are faster).</summary>
internal sealed record SpeedGoal(string Text, double MinimumRatio)
{
    public static SpeedGoal FiveTimesFasterThanR { get; } = new("≥ 5× faster than R", 5);

    public static SpeedGoal FasterThanR { get; } = new("faster than R", 1);

    public static SpeedGoal WithinTwiceR { get; } = new("within 2× of R (R/ours ≥ 0.5)", 0.5);

    public bool IsMet(double ratio) => ratio >= MinimumRatio;
}

/// <summary>Our compute time and R's on the same data.</summary>
internal sealed record Comparison(string Case, string Size, Timing Ours, Timing R, SpeedGoal Goal, LoadAverage? LoadOurs, LoadAverage? LoadR)
{
    public double Ratio => R.Median / Ours.Median;

    public double CpuRatio => R.CpuMedian / Ours.CpuMedian;

    public bool Met => Goal.IsMet(Ratio);
}

/// <summary>Our compute time at n and at 2n: near-linear algorithms grow about 2×.</summary>
internal sealed record Doubling(string Computation, int N, Timing AtN, Timing AtTwiceN)
{
    public const double MaximumGrowth = 2.3;

    public double Growth => AtTwiceN.Median / AtN.Median;

    public double CpuGrowth => AtTwiceN.CpuMedian / AtN.CpuMedian;

    public bool Met => Growth <= MaximumGrowth;
}

/// <summary>One number computed by us and by R on the benchmark data; NaN stands for NA on both sides.</summary>
internal sealed record Agreement(string Quantity, double Ours, double R, double RelativeTolerance)
{
    public double RelativeDifference =>
        double.IsNaN(Ours) && double.IsNaN(R) ? 0
        : Ours == R ? 0
        : Math.Abs(Ours - R) / Math.Max(Math.Abs(R), double.Epsilon);

    public bool Ok => RelativeDifference <= RelativeTolerance;
}

/// <summary>Everything one <c>stats</c> run measured.</summary>
internal sealed record StatsRun(
    DateTime Started,
    TimeSpan Duration,
    string Machine,
    string Versions,
    LoadAverage? LoadAtStart,
    LoadAverage? LoadAtEnd,
    IReadOnlyList<Comparison> Comparisons,
    IReadOnlyList<Doubling> Doublings,
    IReadOnlyList<Agreement> Agreements);
