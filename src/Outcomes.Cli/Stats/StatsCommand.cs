using System.CommandLine;

namespace Outcomes.Cli.Stats;

/// <summary>
/// <c>outcomes stats</c>: the statistics library on a researcher's own CSV tables, one subcommand per method,
/// results as JSON on standard output; exit code 2 for any option or input the user must fix.
/// </summary>
public static class StatsCommand
{
    public static Command Create()
    {
        var command = new Command("stats", "Run the outcome statistics on your own CSV tables; results as JSON on standard output")
        {
            KaplanMeierCommand.Create(),
            LogRankCommand.Create(),
            CoxCommand.Create(),
            ProportionCommand.Create(),
            MixedModelCommand.Create(),
        };
        command.Action = new StatsAction((_, _) =>
            throw new StatsInputException("name a statistic: km, logrank, cox, proportion or lmm (see 'outcomes stats --help')"));
        return command;
    }
}
