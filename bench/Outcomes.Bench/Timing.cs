using System.Diagnostics;

namespace Outcomes.Bench;

/// <summary>
/// Wall-clock and CPU (user + system) times, in milliseconds, of repeated runs of one computation. Wall clock
/// is what the goals are stated in; CPU time is what stays comparable when other work shares the cores.
/// </summary>
internal sealed record Timing(IReadOnlyList<double> Milliseconds, IReadOnlyList<double> CpuMilliseconds)
{
    public double Median { get; } = MedianOf(Milliseconds);

    public double Min { get; } = Milliseconds.Min();

    public double CpuMedian { get; } = MedianOf(CpuMilliseconds);

    /// <summary>
    /// Runs <paramref name="compute"/> <paramref name="warmups"/> times untimed (JIT tiering, caches), then
    /// <paramref name="repetitions"/> times timed, each after a full collection as R's system.time(gcFirst = TRUE).
    /// </summary>
    public static Timing Of<T>(Func<T> compute, int warmups, int repetitions)
    {
        for (var w = 0; w < warmups; w++) GC.KeepAlive(compute());
        var wall = new double[repetitions];
        var cpu = new double[repetitions];
        for (var r = 0; r < repetitions; r++) (wall[r], cpu[r]) = Sample(compute);
        return new Timing(wall, cpu);
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
        var a = new (double Wall, double Cpu)[repetitions];
        var b = new (double Wall, double Cpu)[repetitions];
        for (var r = 0; r < repetitions; r++)
        {
            a[r] = Sample(first);
            b[r] = Sample(second);
        }
        return (new Timing([.. a.Select(s => s.Wall)], [.. a.Select(s => s.Cpu)]),
            new Timing([.. b.Select(s => s.Wall)], [.. b.Select(s => s.Cpu)]));
    }

    public static double MedianOf(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("There are no timings to summarise.", nameof(values));
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static (double Wall, double Cpu) Sample<T>(Func<T> compute)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var cpuStart = Environment.CpuUsage.TotalTime;
        var start = Stopwatch.GetTimestamp();
        var result = compute();
        var wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var cpu = (Environment.CpuUsage.TotalTime - cpuStart).TotalMilliseconds;
        GC.KeepAlive(result);
        return (wall, cpu);
    }
}
