using System.Globalization;
using System.Text.Json;
using Outcomes.Statistics;
using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Cli.Tests.Stats;

/// `outcomes stats km` against analytics/validation/km.R (survival::survfit, summary.survfit).
public class KaplanMeierCommandTests
{
    private const double Tolerance = 1e-9;
    private static readonly IReadOnlyDictionary<string, double?> Expected = RReference.Expected("km-expected.csv");

    private static readonly Dictionary<string, string> AtTimes = new()
    {
        ["aml"] = "0,5,12,30,48,200",
        ["lung"] = "0,100,183,365,730,1100",
        ["ties"] = "0,1,2.5,7,15,30",
        ["half"] = "0,1,2,3,4,5",
    };

    private static readonly string[] RowFields = ["time", "nRisk", "nEvent", "nCensor", "survival", "stdErr", "lower", "upper"];

    public static TheoryData<string, string, string> Fits()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var dataset in new[] { "aml", "lung", "ties", "half" })
        {
            foreach (var type in new[] { "log", "log-log", "plain" }) data.Add(dataset, type, "0.95");
        }
        data.Add("lung", "log", "0.9");
        return data;
    }

    [Theory]
    [MemberData(nameof(Fits))]
    public void OneCurve_MatchesSurvfitAtEveryDistinctTime(string dataset, string type, string level)
    {
        var report = Km(dataset, type, level).Json();

        var curve = Assert.Single(report.GetProperty("groups").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, curve.GetProperty("group").ValueKind);
        AssertCurve($"km.{dataset}.{type}.{level}.all", curve, atTimes: false);
    }

    [Theory]
    [MemberData(nameof(Fits))]
    public void CurvePerGroup_MatchesSurvfitInFactorLevelOrder(string dataset, string type, string level)
    {
        var report = Km(dataset, type, level, "--group", "group").Json();

        var curves = report.GetProperty("groups").EnumerateArray().ToList();
        var labels = curves.Select(c => c.GetProperty("group").GetString()!).ToList();
        Assert.Equal((int)Expected[$"km.{dataset}.{type}.{level}.groups"]!.Value, labels.Count);
        Assert.Equal(labels.Order(StringComparer.Ordinal), labels);
        foreach (var curve in curves)
            AssertCurve($"km.{dataset}.{type}.{level}.{curve.GetProperty("group").GetString()}", curve, atTimes: false);
    }

    [Theory]
    [MemberData(nameof(Fits))]
    public void At_MatchesSummaryWithTimes(string dataset, string type, string level)
    {
        var overall = Km(dataset, type, level, "--at", AtTimes[dataset]).Json();
        var grouped = Km(dataset, type, level, "--at", AtTimes[dataset], "--group", "group").Json();

        AssertCurve($"km.{dataset}.{type}.{level}.all", overall.GetProperty("groups")[0], atTimes: true);
        foreach (var curve in grouped.GetProperty("groups").EnumerateArray())
            AssertCurve($"km.{dataset}.{type}.{level}.{curve.GetProperty("group").GetString()}", curve, atTimes: true);
    }

    [Theory]
    [InlineData("log")]
    [InlineData("log-log")]
    [InlineData("plain")]
    public void ManySmallGroups_EachMatchesItsOwnSurvfit(string type)
    {
        var report = StatsRun.Of("km", "--csv", StatsRun.Data("km-fuzz.csv"), "--time", "time", "--event", "status",
            "--group", "group", "--conf-type", type).Json();

        var curves = report.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(40, curves.Count);
        foreach (var curve in curves) AssertCurve($"fuzz.{curve.GetProperty("group").GetString()}.{type}", curve, atTimes: false);
    }

    [Fact]
    public void ManySmallGroupsAtTimes_EachMatchesItsOwnSummary()
    {
        var report = StatsRun.Of("km", "--csv", StatsRun.Data("km-fuzz.csv"), "--time", "time", "--event", "status",
            "--group", "group", "--at", "0,1,2,3.5,6,7").Json();

        foreach (var curve in report.GetProperty("groups").EnumerateArray())
            AssertCurve($"fuzz.{curve.GetProperty("group").GetString()}.log", curve, atTimes: true);
    }

    [Fact]
    public void Json_HasExactlyThePromisedFieldsInOrder()
    {
        var report = Km("aml", "log", "0.95", "--group", "group").Json();

        Assert.Equal(["droppedRows", "groups"], report.PropertyNames());
        var curve = report.GetProperty("groups")[0];
        Assert.Equal(["group", "n", "events", "median", "table"], curve.PropertyNames());
        Assert.Equal(["estimate", "lower", "upper"], curve.GetProperty("median").PropertyNames());
        Assert.Equal(RowFields, curve.GetProperty("table")[0].PropertyNames());
    }

    [Fact]
    public void Json_NumbersRoundTripToTheLibrarysDoubles()
    {
        var path = StatsRun.Data("km-lung.csv");
        var (_, rows) = RReference.Table("km-lung.csv");
        var curve = KaplanMeier.Estimate(
            [.. rows.Select(r => double.Parse(r[0], CultureInfo.InvariantCulture))], [.. rows.Select(r => int.Parse(r[1], CultureInfo.InvariantCulture))],
            0.9, SurvivalIntervalType.LogLog);

        var report = StatsRun.Of("km", "--csv", path, "--time", "time", "--event", "status", "--conf-type", "log-log", "--conf-level", "0.9").Json();

        var table = report.GetProperty("groups")[0].GetProperty("table").EnumerateArray().ToList();
        Assert.Equal(curve.Table.Count, table.Count);
        for (var i = 0; i < table.Count; i++)
        {
            Assert.Equal(curve.Table[i].Survival, table[i].Number("survival"));
            Assert.Equal(curve.Table[i].StdErr, table[i].Number("stdErr"));
            Assert.Equal(curve.Table[i].Lower, table[i].Number("lower"));
            Assert.Equal(curve.Table[i].Upper, table[i].Number("upper"));
        }
    }

    [Fact]
    public void NumericGroups_AreOrderedByValueAsRFactorLevels()
    {
        using var file = new TempCsv("time,status,arm\n1,1,10\n2,0,2\n3,1,10\n4,1,2\n5,0,1.5\n");

        var report = StatsRun.Of("km", "--csv", file.Path, "--time", "time", "--event", "status", "--group", "arm").Json();

        Assert.Equal(["1.5", "2", "10"], report.GetProperty("groups").EnumerateArray().Select(c => c.GetProperty("group").GetString()));
    }

    private static StatsRun Km(string dataset, string type, string level, params string[] extra) =>
        StatsRun.Of(["km", "--csv", StatsRun.Data($"km-{dataset}.csv"), "--time", "time", "--event", "status",
            "--conf-type", type, "--conf-level", level, .. extra]);

    private static void AssertCurve(string prefix, JsonElement curve, bool atTimes)
    {
        Assert.Equal((int)Expected[prefix + ".n"]!.Value, curve.Integer("n"));
        Assert.Equal((int)Expected[prefix + ".events"]!.Value, curve.Integer("events"));
        var median = curve.GetProperty("median");
        RReference.Close(Expected[prefix + ".median"], median.Number("estimate"), Tolerance, prefix + ".median");
        RReference.Close(Expected[prefix + ".median.lower"], median.Number("lower"), Tolerance, prefix + ".median.lower");
        RReference.Close(Expected[prefix + ".median.upper"], median.Number("upper"), Tolerance, prefix + ".median.upper");

        var rows = atTimes ? prefix + ".at.false" : prefix;
        var table = curve.GetProperty("table");
        Assert.Equal((int)Expected[rows + ".rows"]!.Value, table.GetArrayLength());
        for (var i = 0; i < table.GetArrayLength(); i++)
        {
            foreach (var field in RowFields)
            {
                var key = $"{rows}.row{i + 1}.{field}";
                RReference.Close(Expected[key], table[i].Number(field), Tolerance, key);
            }
        }
    }
}
