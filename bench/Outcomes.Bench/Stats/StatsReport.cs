using System.Globalization;
using System.Text;

namespace Outcomes.Bench.Stats;

/// <summary>The Markdown a <c>stats</c> run prints and saves under bench/results/.</summary>
internal static class StatsReport
{
    public static string ToMarkdown(StatsRun run, StatsSettings settings, string command)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));

        Line($"# Statistics benchmark, {run.Started:yyyy-MM-dd HH:mm}");
        Line($"");
        Line($"- Command: `{command}` (took {run.Duration.TotalMinutes:F1} min)");
        Line($"- Machine: {run.Machine}");
        Line($"- Compared with: {run.Versions}");
        Line($"- Timing: wall clock of the computation only (CSV reading excluded on both sides), {settings.Warmups} untimed warm-up then {settings.Repetitions} timed runs, each after a full garbage collection (doubling check: {settings.DoublingRepetitions} timed runs at n and at 2n, alternating); the 2n data extend the n data (same seed, {settings.Seed})");
        Line($"- Load average (1/5/15 min): {Describe(run.LoadAtStart)} at start, {Describe(run.LoadAtEnd)} at end");
#if DEBUG
        Line($"- **Debug build: these times are not representative; run with -c Release.**");
#endif
        Line($"");
        Line($"## Against R");
        Line($"");
        Line($"| Case | n | Ours median ms | Ours min ms | R median ms | R min ms | R / ours | Goal | Met? | R / ours, CPU time |");
        Line($"|---|---:|---:|---:|---:|---:|---:|---|---|---:|");
        foreach (var c in run.Comparisons)
            Line($"| {c.Case} | {c.Size} | {c.Ours.Median:F1} | {c.Ours.Min:F1} | {c.R.Median:F1} | {c.R.Min:F1} | {c.Ratio:F2} | {c.Goal.Text} | {YesNo(c.Met)} | {c.CpuRatio:F2} |");
        Line($"");
        Line($"Goals are judged on the wall-clock medians; the last column, the ratio of median CPU times (user + system), is less disturbed by other work on the machine.");
        Line($"");
        Line($"## Doubling n (ours)");
        Line($"");
        Line($"| Computation | n | Median ms at n | Median ms at 2n | Growth | Goal | Met? | Growth, CPU time |");
        Line($"|---|---:|---:|---:|---:|---|---|---:|");
        foreach (var d in run.Doublings)
            Line($"| {d.Computation} | {d.N:N0} | {d.AtN.Median:F1} | {d.AtTwiceN.Median:F1} | {d.Growth:F2}× | ≤ {Doubling.MaximumGrowth}× | {YesNo(d.Met)} | {d.CpuGrowth:F2}× |");
        Line($"");
        Line($"## Same answers as R on the benchmark data");
        Line($"");
        Line($"| Quantity | Ours | R | Relative difference | Tolerance | OK? |");
        Line($"|---|---:|---:|---:|---:|---|");
        foreach (var a in run.Agreements)
            Line($"| {a.Quantity} | {Number(a.Ours)} | {Number(a.R)} | {a.RelativeDifference:G2} | {a.RelativeTolerance:G1} | {YesNo(a.Ok)} |");
        Line($"");
        Line($"## Load average (1/5/15 min) when each measurement started");
        Line($"");
        Line($"| Case | Ours | R |");
        Line($"|---|---|---|");
        foreach (var c in run.Comparisons)
            Line($"| {c.Case} | {Describe(c.LoadOurs)} | {Describe(c.LoadR)} |");
        return text.ToString();
    }

    private static string YesNo(bool met) => met ? "yes" : "**no**";

    private static string Number(double value) => double.IsNaN(value) ? "NA" : value.ToString("G10", CultureInfo.InvariantCulture);

    private static string Describe(LoadAverage? load) => load?.ToString() ?? "unknown";
}
