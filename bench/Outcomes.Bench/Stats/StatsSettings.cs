namespace Outcomes.Bench.Stats;

/// <summary>Sizes and measurement rules of one statistics benchmark run; the defaults are the goals' sizes.</summary>
internal sealed record StatsSettings
{
    public const int VisitsPerPatient = 10;

    public double Scale { get; init; } = 1;

    public int Repetitions { get; init; } = 7;

    public int Warmups { get; init; } = 1;

    /// <summary>Timed (n, 2n) pairs for the doubling check: our runs are short, and a ratio needs more of them.</summary>
    public int DoublingRepetitions { get; init; } = 15;

    public int Seed { get; init; } = 20240917;

    public double MaxLoad { get; init; } = 1.0;

    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(90);

    public int SurvivalSubjects => Scaled(1_000_000);

    public int CoxSubjects => Scaled(100_000);

    public int MixedModelPatients => Scaled(10_000);

    public IEnumerable<string> Violations()
    {
        if (Repetitions < 1) yield return $"--repetitions must be at least 1, got {Repetitions}";
        if (DoublingRepetitions < 1) yield return $"--doubling-repetitions must be at least 1, got {DoublingRepetitions}";
        if (Warmups < 0) yield return $"--warmups must not be negative, got {Warmups}";
        if (!(Scale is > 0 and <= 4)) yield return $"--scale must be in (0, 4], got {Scale}";
        if (!(MaxLoad > 0)) yield return $"--max-load must be positive, got {MaxLoad}";
        if (MaxWait < TimeSpan.Zero) yield return $"--max-wait must not be negative, got {MaxWait.TotalSeconds}";
    }

    // Never below 100: smaller samples say nothing about speed and can make the mixed model degenerate.
    private int Scaled(int size) => Math.Max(100, (int)Math.Round(size * Scale));
}
