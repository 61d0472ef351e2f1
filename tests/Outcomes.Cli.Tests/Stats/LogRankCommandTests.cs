using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Cli.Tests.Stats;

/// `outcomes stats logrank` against analytics/validation/km.R (survival::survdiff).
public class LogRankCommandTests
{
    private const double Tolerance = 1e-9;
    private static readonly IReadOnlyDictionary<string, double?> Expected = RReference.Expected("km-expected.csv");

    [Theory]
    [InlineData("aml")]
    [InlineData("lung")]
    [InlineData("ties")]
    [InlineData("half")]
    public void Test_MatchesSurvdiff(string dataset)
    {
        var report = StatsRun.Of("logrank", "--csv", StatsRun.Data($"km-{dataset}.csv"), "--time", "time", "--event", "status",
            "--group", "group").Json();

        var prefix = $"lr.{dataset}.";
        RReference.Close(Expected[prefix + "chisq"], report.Number("chiSquare"), Tolerance, prefix + "chisq");
        Assert.Equal((int)Expected[prefix + "df"]!.Value, report.Integer("df"));
        RReference.Close(Expected[prefix + "p"], report.Number("p"), Tolerance, prefix + "p");
        var groups = report.GetProperty("groups").EnumerateArray().ToList();
        var labels = groups.Select(g => g.GetProperty("group").GetString()!).ToList();
        Assert.Equal(labels.Order(StringComparer.Ordinal), labels);
        foreach (var group in groups)
        {
            var key = prefix + group.GetProperty("group").GetString() + ".";
            Assert.Equal((int)Expected[key + "n"]!.Value, group.Integer("n"));
            Assert.Equal((int)Expected[key + "observed"]!.Value, group.Integer("observed"));
            RReference.Close(Expected[key + "expected"], group.Number("expected"), Tolerance, key + "expected");
        }
    }

    [Fact]
    public void AllEventsAtOneTime_WarnsOnStandardErrorAndGivesNoP()
    {
        using var file = new TempCsv("time,status,arm\n30,1,iv\n30,1,im\n30,1,iv\n30,1,im\n");

        var run = StatsRun.Of("logrank", "--csv", file.Path, "--time", "time", "--event", "status", "--group", "arm");

        var report = run.Json();
        Assert.Equal(0, report.Integer("df"));
        Assert.Null(report.Number("p"));
        Assert.StartsWith("warning: the log-rank variance is 0 (e.g. every event at one time", run.Error);
    }

    [Fact]
    public void Json_HasExactlyThePromisedFieldsInOrder()
    {
        var report = StatsRun.Of("logrank", "--csv", StatsRun.Data("km-aml.csv"), "--time", "time", "--event", "status",
            "--group", "group").Json();

        Assert.Equal(["droppedRows", "chiSquare", "df", "p", "groups"], report.PropertyNames());
        Assert.Equal(["group", "n", "observed", "expected"], report.GetProperty("groups")[0].PropertyNames());
    }
}
