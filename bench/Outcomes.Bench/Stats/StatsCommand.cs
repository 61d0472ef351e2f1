using System.CommandLine;
using System.Globalization;

namespace Outcomes.Bench.Stats;

/// <summary>
/// <c>stats</c>: times Kaplan-Meier + log-rank, Cox and the mixed model against R's survival and lme4 on the
/// same seeded data, checks the answers agree, and writes the table to bench/results/stats-&lt;date&gt;.md.
/// </summary>
internal static class StatsCommand
{
    public static Command Create()
    {
        var defaults = new StatsSettings();
        var repetitions = new Option<int>("--repetitions", "-r") { Description = "Timed runs per measurement, after the warm-up", DefaultValueFactory = _ => defaults.Repetitions };
        var doublingRepetitions = new Option<int>("--doubling-repetitions") { Description = "Timed (n, 2n) pairs, run alternately, for the doubling check", DefaultValueFactory = _ => defaults.DoublingRepetitions };
        var warmups = new Option<int>("--warmups") { Description = "Untimed runs before the timed ones", DefaultValueFactory = _ => defaults.Warmups };
        var scale = new Option<double>("--scale") { Description = "Multiplies every size (1 = the goals' sizes; e.g. 0.01 for a smoke run)", DefaultValueFactory = _ => defaults.Scale };
        var seed = new Option<int>("--seed") { Description = "Seed of the generated data", DefaultValueFactory = _ => defaults.Seed };
        var maxLoad = new Option<double>("--max-load") { Description = "Before each measurement, wait until the 1-minute load average is at most this", DefaultValueFactory = _ => defaults.MaxLoad };
        var maxWait = new Option<int>("--max-wait") { Description = "Longest such wait, in seconds, before measuring anyway", DefaultValueFactory = _ => (int)defaults.MaxWait.TotalSeconds };

        var command = new Command("stats", "Time the statistics library against R (survival, lme4) on the same seeded data")
        {
            repetitions, doublingRepetitions, warmups, scale, seed, maxLoad, maxWait,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var settings = new StatsSettings
            {
                Repetitions = parse.GetValue(repetitions),
                DoublingRepetitions = parse.GetValue(doublingRepetitions),
                Warmups = parse.GetValue(warmups),
                Scale = parse.GetValue(scale),
                Seed = parse.GetValue(seed),
                MaxLoad = parse.GetValue(maxLoad),
                MaxWait = TimeSpan.FromSeconds(parse.GetValue(maxWait)),
            };
            var problems = settings.Violations().ToList();
            if (problems.Count > 0)
            {
                foreach (var problem in problems) parse.InvocationConfiguration.Error.WriteLine(problem);
                return 1;
            }

            var directories = BenchDirectories.Find();
            var run = await new StatsBenchmark(settings, directories, output).RunAsync(cancellationToken);
            var commandLine = string.Join(' ', ["dotnet run -c Release --project bench/Outcomes.Bench --", .. Environment.GetCommandLineArgs().Skip(1)]);
            var markdown = StatsReport.ToMarkdown(run, settings, commandLine);

            Directory.CreateDirectory(directories.Results);
            var suffix = settings.Scale == 1 ? "" : "-scale" + settings.Scale.ToString(CultureInfo.InvariantCulture);
            var file = Path.Combine(directories.Results, $"stats-{run.Started:yyyy-MM-dd}{suffix}.md");
            await File.WriteAllTextAsync(file, markdown, cancellationToken);
            output.WriteLine();
            output.Write(markdown);
            output.WriteLine();
            output.WriteLine($"Written to {Path.GetRelativePath(directories.Root, file)}");
            return 0;
        });
        return command;
    }
}
