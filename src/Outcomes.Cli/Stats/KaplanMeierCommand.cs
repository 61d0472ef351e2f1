using System.CommandLine;
using Outcomes.Statistics;

namespace Outcomes.Cli.Stats;

/// <summary><c>outcomes stats km</c>: Kaplan-Meier curves, overall or per group, as R's survfit and summary.survfit.</summary>
internal static class KaplanMeierCommand
{
    public static Command Create()
    {
        var csv = StatsOptions.Csv();
        var time = StatsOptions.Time();
        var status = StatsOptions.Event();
        var group = new Option<string?>("--group")
        {
            Description = "Column of group labels: one curve per group (groups sorted as R sorts factor levels)",
            HelpName = "column",
        };
        var intervalType = StatsOptions.OneOf("--conf-type", "Scale of the pointwise intervals, as R's conf.type", "log", "log-log", "plain");
        var level = StatsOptions.ConfidenceLevel();
        var at = StatsOptions.Times("--at",
            "Report the curve at these times (as summary(fit, times = ...)) instead of at every distinct time, e.g. 30,60,90");

        var command = new Command("km", "Kaplan-Meier survival curves with Greenwood standard errors and median survival")
        {
            csv, time, status, group, intervalType, level, at,
        };
        command.Action = new StatsAction((parse, warn) =>
        {
            var timeColumn = parse.GetRequiredValue(time);
            var eventColumn = parse.GetRequiredValue(status);
            var groupColumn = parse.GetValue(group);
            var columns = CsvColumns.Read(parse.GetRequiredValue(csv),
                groupColumn is null ? [timeColumn, eventColumn] : [timeColumn, eventColumn, groupColumn]);

            var curves = KaplanMeier.EstimateByGroup(
                columns.Survival(timeColumn, eventColumn, groupColumn),
                parse.GetValue(level),
                SurvivalIntervalTypes.Parse(parse.GetRequiredValue(intervalType)));
            // An absent array option reads as empty, not null; --at always names at least one time.
            if (parse.GetValue(at) is { Length: > 0 } times)
                curves = [.. curves.Select(curve => curve with { Table = KaplanMeier.At(curve, times) })];
            if (columns.DroppedRowsNote is { } dropped) warn(dropped);
            return new KaplanMeierReport(columns.DroppedRows, curves);
        });
        return command;
    }
}

/// <summary>The JSON of <c>outcomes stats km</c>: the library's curves carry exactly the fields the CLI promises.</summary>
internal sealed record KaplanMeierReport(int DroppedRows, IReadOnlyList<KaplanMeierCurve> Groups);
