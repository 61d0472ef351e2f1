using System.CommandLine;
using Outcomes.Statistics;

namespace Outcomes.Cli.Stats;

/// <summary><c>outcomes stats logrank</c>: the log-rank test of equal survival across groups, as R's survdiff.</summary>
internal static class LogRankCommand
{
    public static Command Create()
    {
        var csv = StatsOptions.Csv();
        var time = StatsOptions.Time();
        var status = StatsOptions.Event();
        var group = StatsOptions.Column("--group", "Column of group labels (two or more groups)");

        var command = new Command("logrank", "Log-rank test of equal survival in two or more groups")
        {
            csv, time, status, group,
        };
        command.Action = new StatsAction((parse, warn) =>
        {
            var timeColumn = parse.GetRequiredValue(time);
            var eventColumn = parse.GetRequiredValue(status);
            var groupColumn = parse.GetRequiredValue(group);
            var columns = CsvColumns.Read(parse.GetRequiredValue(csv), [timeColumn, eventColumn, groupColumn]);
            var sample = columns.Survival(timeColumn, eventColumn, groupColumn);
            if (sample.Groups.Count < 2)
                throw new StatsInputException(
                    $"column '{groupColumn}' has one group ({Printable.Quote(sample.Groups[0]!)}): the log-rank test compares two or more");

            var test = LogRank.Test(sample);
            if (columns.DroppedRowsNote is { } dropped) warn(dropped);
            foreach (var warning in test.Warnings) warn(warning);
            return new LogRankReport(columns.DroppedRows, test.ChiSquare, test.Df, test.P, test.Groups);
        });
        return command;
    }
}

/// <summary>The JSON of <c>outcomes stats logrank</c>: the test without its variance matrix.</summary>
internal sealed record LogRankReport(int DroppedRows, double ChiSquare, int Df, double? P, IReadOnlyList<LogRankGroup> Groups);
