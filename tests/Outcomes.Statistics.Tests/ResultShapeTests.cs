using System.Text.Json;
using System.Text.Json.Nodes;

namespace Outcomes.Statistics.Tests;

/// The CLI serialises these records as they are: the property names are a contract.
public class ResultShapeTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void KaplanMeierCurve_SerialisesToTheReportShape()
    {
        var curves = KaplanMeier.EstimateByGroup([1, 2, 3, 4], [1, 1, 0, 1], ["a", "a", "b", "b"]);

        var json = JsonSerializer.SerializeToNode(curves, Web)!.AsArray();

        var curve = json[0]!.AsObject();
        Assert.Equal(["group", "n", "events", "median", "table"], curve.Select(p => p.Key));
        Assert.Equal(["estimate", "lower", "upper"], curve["median"]!.AsObject().Select(p => p.Key));
        var row = curve["table"]![1]!.AsObject();
        Assert.Equal(["time", "nRisk", "nEvent", "nCensor", "survival", "stdErr", "lower", "upper"], row.Select(p => p.Key));
        Assert.Equal(0.0, row["survival"]!.GetValue<double>());
        Assert.Null(row["stdErr"]);
    }

    [Fact]
    public void LogRankTest_SerialisesToTheReportShape()
    {
        var test = LogRank.Test([1, 2, 3, 4], [1, 1, 0, 1], ["a", "a", "b", "b"]);

        var json = JsonSerializer.SerializeToNode(test, Web)!.AsObject();

        Assert.Equal(["chiSquare", "df", "p", "groups", "variance", "warnings"], json.Select(p => p.Key));
        Assert.Equal(["group", "n", "observed", "expected"], json["groups"]![0]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void ProportionEstimate_SerialisesToTheReportShape()
    {
        var json = JsonSerializer.SerializeToNode(Proportion.Wilson(3, 10), Web)!.AsObject();

        Assert.Equal(["estimate", "lower", "upper", "method"], json.Select(p => p.Key));
        Assert.Equal("wilson", json["method"]!.GetValue<string>());
    }
}
