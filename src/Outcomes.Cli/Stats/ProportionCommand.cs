using System.CommandLine;
using Outcomes.Statistics;

namespace Outcomes.Cli.Stats;

/// <summary><c>outcomes stats proportion</c>: a proportion with its Wilson or Clopper-Pearson interval.</summary>
internal static class ProportionCommand
{
    public static Command Create()
    {
        var successes = StatsOptions.Count("--successes", "Count with the outcome, x (0 <= x <= trials)");
        var trials = StatsOptions.Count("--trials", "Number of trials, n");
        var method = StatsOptions.OneOf("--method",
            "wilson: score interval, as prop.test(correct = FALSE); clopper-pearson: exact, as binom.test", "wilson", "clopper-pearson");
        var level = StatsOptions.ConfidenceLevel();

        var command = new Command("proportion", "A proportion x/n with its confidence interval")
        {
            successes, trials, method, level,
        };
        command.Action = new StatsAction((parse, _) =>
        {
            var x = parse.GetValue(successes);
            var n = parse.GetValue(trials);
            if (x > n) throw new StatsInputException($"--successes ({x}) cannot exceed --trials ({n})");
            return parse.GetRequiredValue(method) == "clopper-pearson"
                ? Proportion.ClopperPearson(x, n, parse.GetValue(level))
                : Proportion.Wilson(x, n, parse.GetValue(level));
        });
        return command;
    }
}
