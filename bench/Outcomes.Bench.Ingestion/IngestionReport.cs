using System.Globalization;
using System.Text;

namespace Outcomes.Bench.Ingestion;

/// One timed run. Settings is null for the raw ceiling, which involves no service.
public sealed record RunResult(string Kind, IngestionSettings? Settings, int Messages, TimeSpan Elapsed, TimeSpan PublishElapsed,
    CpuUse Cpu, string Check, bool Exact)
{
    public double Rate => Messages / Elapsed.TotalSeconds;
    public string Label => Settings is null ? Kind : $"{Kind} ({Settings})";
}

/// Markdown for docs/benchmarks.md: every run, then medians and the ratio to the ceiling measured in the same invocation.
public static class IngestionReport
{
    /// Issue 15 item 7: single instance end to end at least 40 % of the (classic-queue) raw ceiling of the same run.
    public const double Goal = 0.40;
    public const string CeilingKind = "ceiling";

    public static string RunRow(int round, RunResult r) => string.Create(CultureInfo.InvariantCulture,
        $"| {round} | {r.Label} | {r.Rate:0} | {r.Elapsed.TotalSeconds:0.00} | {r.PublishElapsed.TotalSeconds:0.00} | " +
        $"{r.Cpu.MachineBusy:P0} | {r.Cpu.Service:0.0} / {r.Cpu.Postgres:0.0} / {r.Cpu.RabbitMq:0.0} / {r.Cpu.Bench:0.0} / {r.Cpu.Other:0.0} | " +
        $"{r.Cpu.LoadAverage1:0.00} | {(r.Exact ? "exact" : "**NOT EXACT**")} |");

    public const string RunHeader =
        "| round | run | rate (msg/s) | first publish -> done (s) | publish confirmed (s) | machine busy | CPU s: service / postgres / rabbitmq / bench / other | load1 at end | data |\n" +
        "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | --- |";

    public static string Summary(IReadOnlyList<RunResult> runs)
    {
        var text = new StringBuilder();
        var ceiling = Median(runs.Where(r => r.Kind == CeilingKind).Select(r => r.Rate));
        text.AppendLine("| run | runs | median rate (msg/s) | min - max | ratio to ceiling median | CPU s per 1,000 msg (service / postgres / rabbitmq) | goal (>= 40 %) |");
        text.AppendLine("| --- | ---: | ---: | --- | ---: | --- | --- |");
        foreach (var group in runs.GroupBy(r => r.Label))
        {
            var rates = group.Select(r => r.Rate).ToList();
            var median = Median(rates);
            var perThousand = string.Create(CultureInfo.InvariantCulture,
                $"{Median(group.Select(r => r.Cpu.Service * 1000 / r.Messages)):0.00} / {Median(group.Select(r => r.Cpu.Postgres * 1000 / r.Messages)):0.00} / {Median(group.Select(r => r.Cpu.RabbitMq * 1000 / r.Messages)):0.00}");
            var isCeiling = group.First().Kind == CeilingKind;
            var ratio = isCeiling ? "1" : double.IsNaN(ceiling) ? "-" : (median / ceiling).ToString("P1", CultureInfo.InvariantCulture);
            var goal = group.First().Settings is null ? "" : double.IsNaN(ceiling) ? "no ceiling timed" : median / ceiling >= Goal ? "met" : "missed";
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Key} | {rates.Count} | {median:0} | {rates.Min():0} - {rates.Max():0} | {ratio} | {perThousand} | {goal} |"));
        }
        var quorumCeiling = Median(runs.Where(r => r.Kind == RawCeiling.QuorumKind).Select(r => r.Rate));
        if (!double.IsNaN(quorumCeiling))
        {
            text.AppendLine();
            text.AppendLine("Against the quorum-queue ceiling of the same rounds (the service's queue type): " + string.Join("; ",
                runs.Where(r => r.Settings is not null).GroupBy(r => r.Label).Select(g =>
                    string.Create(CultureInfo.InvariantCulture, $"{g.Key} {Median(g.Select(r => r.Rate)) / quorumCeiling:P1}"))) + ".");
        }
        var inexact = runs.Where(r => !r.Exact).ToList();
        text.AppendLine();
        text.AppendLine(inexact.Count == 0
            ? "Every end-to-end run stored and projected exactly the published valid events (no missing, no duplicate) and refused exactly the bad ones."
            : $"{inexact.Count} run(s) did NOT end with exactly the published data: " + string.Join("; ", inexact.Select(r => r.Check)));
        return text.ToString();
    }

    public const double PoisonGoal = 0.90;

    /// Valid throughput with bad messages mixed in against the clean run of the same settings, medians of the same rounds.
    public static string PoisonSummary(IReadOnlyList<RunResult> runs, int poisonCount)
    {
        var text = new StringBuilder();
        text.AppendLine($"| settings | clean median (valid msg/s) | with poison median (valid msg/s) | ratio | goal (>= {PoisonGoal:P0}) |");
        text.AppendLine("| --- | ---: | ---: | ---: | --- |");
        foreach (var group in runs.Where(r => r.Settings is not null).GroupBy(r => r.Settings!))
        {
            var clean = Median(group.Where(r => r.Kind == "end-to-end").Select(r => r.Rate));
            var poisoned = Median(group.Where(r => r.Kind != "end-to-end").Select(r => r.Rate));
            var ratio = poisoned / clean;
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Key} | {clean:0} | {poisoned:0} | {ratio:P1} | {(ratio >= PoisonGoal ? "met" : "missed")} |"));
        }
        text.AppendLine();
        text.AppendLine($"Each poisoned run mixed {poisonCount:N0} bad messages in; every one was refused (rejection log and error queue) " +
            "when the run is marked exact.");
        return text.ToString();
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
