using System.Globalization;
using System.Text.Json;
using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Cli.Tests.Stats;

/// `outcomes stats proportion` against analytics/validation/km.R (prop.test without correction, binom.test).
public class ProportionCommandTests
{
    private const double Tolerance = 1e-9;
    private static readonly IReadOnlyDictionary<string, double?> Expected = RReference.Expected("km-expected.csv");

    public static TheoryData<int, int, string> Cases()
    {
        var data = new TheoryData<int, int, string>();
        int[][] cases =
        [
            [0, 1], [1, 1], [0, 10], [1, 10], [5, 10], [9, 10], [10, 10], [17, 50], [0, 1000], [1, 1000], [250, 1000],
            [999, 1000], [1000, 1000], [3, 7], [4321, 10000],
        ];
        foreach (var c in cases)
        {
            data.Add(c[0], c[1], "0.95");
            data.Add(c[0], c[1], "0.9");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Wilson_MatchesPropTest(int x, int n, string level)
    {
        var report = Run(x, n, "wilson", level);

        AssertInterval(report, x, n, $"prop.{x}.{n}.{level}.wilson.", "wilson");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ClopperPearson_MatchesBinomTest(int x, int n, string level)
    {
        var report = Run(x, n, "clopper-pearson", level);

        AssertInterval(report, x, n, $"prop.{x}.{n}.{level}.exact.", "clopper-pearson");
    }

    [Fact]
    public void Defaults_AreWilsonAtNinetyFivePercent()
    {
        var report = StatsRun.Of("proportion", "--successes", "17", "--trials", "50").Json();

        AssertInterval(report, 17, 50, "prop.17.50.0.95.wilson.", "wilson");
    }

    [Fact]
    public void NoTrials_GiveNullEstimates()
    {
        var report = StatsRun.Of("proportion", "--successes", "0", "--trials", "0").Json();

        Assert.Equal(JsonValueKind.Null, report.GetProperty("estimate").ValueKind);
        Assert.Equal(JsonValueKind.Null, report.GetProperty("lower").ValueKind);
        Assert.Equal(JsonValueKind.Null, report.GetProperty("upper").ValueKind);
    }

    [Fact]
    public void Json_HasExactlyThePromisedFieldsInOrder()
    {
        var report = StatsRun.Of("proportion", "--successes", "3", "--trials", "7").Json();

        Assert.Equal(["estimate", "lower", "upper", "method"], report.PropertyNames());
    }

    private static JsonElement Run(int x, int n, string method, string level) =>
        StatsRun.Of("proportion", "--successes", x.ToString(CultureInfo.InvariantCulture), "--trials", n.ToString(CultureInfo.InvariantCulture),
            "--method", method, "--conf-level", level).Json();

    private static void AssertInterval(JsonElement report, int x, int n, string prefix, string method)
    {
        Assert.Equal((double)x / n, report.Number("estimate"));
        RReference.Close(Expected[prefix + "lower"], report.Number("lower"), Tolerance, prefix + "lower");
        RReference.Close(Expected[prefix + "upper"], report.Number("upper"), Tolerance, prefix + "upper");
        Assert.Equal(method, report.GetProperty("method").GetString());
    }
}
