using System.Diagnostics;

namespace Outcomes.Bench;

/// <summary>Wall-clock times, in milliseconds, of repeated runs of one computation.</summary>
internal sealed record Timing(IReadOnlyList<double> Milliseconds)
{
    public double Median { get; } = MedianOf(Milliseconds);

    public double Min { get; } = Milliseconds.Min();

    /// <summary>
    /// Runs <paramref name="compute"/> <paramref name="warmups"/> times untimed (JIT tiering, caches), then
    /// <paramref name="repetitions"/> times timed, each after a full collection as R's system.time(gcFirst = TRUE).
    /// </summary>
    public static Timing Of<T>(Func<T> compute, int warmups, int repetitions)
    {
        for (var w = 0; w < warmups; w++) GC.KeepAlive(compute());
        var samples = new double[repetitions];
        for (var r = 0; r < repetitions; r++) samples[r] = Sample(compute);
        return new Timing(samples);
    }

    /// <summary>
    /// Times two computations alternately, so that a change in the machine's load falls on both alike:
    /// what a ratio of their times (n against 2n) needs on a shared machine.
    /// </summary>
    public static (Timing First, Timing Second) Interleaved<T, TOther>(Func<T> first, Func<TOther> second, int warmups, int repetitions)
    {
        for (var w = 0; w < warmups; w++)
        {
            GC.KeepAlive(first());
            GC.KeepAlive(second());
        }
        var a = new double[repetitions];
        var b = new double[repetitions];
        for (var r = 0; r < repetitions; r++)
        {
            a[r] = Sample(first);
            b[r] = Sample(second);
        }
        return (new Timing(a), new Timing(b));
    }

    public static double MedianOf(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("There are no timings to summarise.", nameof(values));
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static double Sample<T>(Func<T> compute)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var start = Stopwatch.GetTimestamp();
        var result = compute();
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        GC.KeepAlive(result);
        return elapsed;
    }
}
