using System.Text.Json;
using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Cli.Tests.Stats;

/// `outcomes stats cox` against analytics/validation/cox.R (survival::coxph), Efron and Breslow ties.
public class CoxCommandTests
{
    private const double Tolerance = 1e-6;
    private static readonly IReadOnlyDictionary<string, double?> Expected = RReference.Expected("cox_expected.csv");

    /// model, file, time column, event column, covariates, coefficient names as R gives them.
    private static readonly Dictionary<string, (string File, string Time, string Event, string Covariates, string[] Names)> Models = new()
    {
        ["lung"] = ("cox_lung.csv", "time", "status", "age,sex,ph.ecog", ["age", "sex", "ph.ecog"]),
        ["aml"] = ("cox_aml.csv", "time", "status", "x", ["xNonmaintained"]),
        ["ties"] = ("cox_ties.csv", "time", "status", "age,male,modality", ["age", "male", "modalityiv", "modalitynasal"]),
        ["constant"] = ("cox_degenerate.csv", "time", "status", "x,k", ["x", "k"]),
        ["aliased"] = ("cox_degenerate.csv", "time", "status", "x,z", ["x", "z"]),
        ["alltied"] = ("cox_degenerate.csv", "tiedtime", "status", "x", ["x"]),
        ["alldied"] = ("cox_degenerate.csv", "tiedtime", "died", "x", ["x"]),
    };

    public static TheoryData<string, string> Fits()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in Models.Keys)
        {
            data.Add(model, "efron");
            data.Add(model, "breslow");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Fits))]
    public void Fit_MatchesCoxph(string model, string ties)
    {
        var (file, time, status, covariates, names) = Models[model];

        var report = StatsRun.Of("cox", "--csv", StatsRun.Data(file), "--time", time, "--event", status,
            "--covariates", covariates, "--ties", ties).Json();

        var prefix = $"{model}.{ties}.";
        Assert.Equal((int)Expected[prefix + "n"]!.Value, report.Integer("n"));
        Assert.Equal((int)Expected[prefix + "events"]!.Value, report.Integer("events"));
        var coefficients = report.GetProperty("coefficients").EnumerateArray().ToList();
        Assert.Equal(names, coefficients.Select(c => c.GetProperty("name").GetString()));
        foreach (var coefficient in coefficients)
        {
            var name = coefficient.GetProperty("name").GetString();
            Close($"{prefix}coef.{name}", coefficient.Number("coef"));
            Close($"{prefix}hr.{name}", coefficient.Number("hazardRatio"));
            Close($"{prefix}se.{name}", coefficient.Number("se"));
            Close($"{prefix}z.{name}", coefficient.Number("z"));
            Close($"{prefix}p.{name}", coefficient.Number("p"));
            Close($"{prefix}lower.{name}", coefficient.Number("lower"));
            Close($"{prefix}upper.{name}", coefficient.Number("upper"));
        }
        var tests = report.GetProperty("tests");
        AssertTest(prefix + "wald.", tests.GetProperty("wald"));
        AssertTest(prefix + "lr.", tests.GetProperty("likelihoodRatio"));
        AssertTest(prefix + "score.", tests.GetProperty("score"));
    }

    [Fact]
    public void DefaultTies_AreEfron()
    {
        var report = StatsRun.Of("cox", "--csv", StatsRun.Data("cox_ties.csv"), "--time", "time", "--event", "status",
            "--covariates", "age,male,modality").Json();

        Close("ties.efron.coef.modalitynasal", report.GetProperty("coefficients")[3].Number("coef"));
    }

    [Fact]
    public void Json_HasExactlyThePromisedFieldsInOrder()
    {
        var report = StatsRun.Of("cox", "--csv", StatsRun.Data("cox_lung.csv"), "--time", "time", "--event", "status",
            "--covariates", "age,sex").Json();

        Assert.Equal(["droppedRows", "n", "events", "coefficients", "tests"], report.PropertyNames());
        Assert.Equal(["name", "coef", "hazardRatio", "se", "z", "p", "lower", "upper"], report.GetProperty("coefficients")[0].PropertyNames());
        var tests = report.GetProperty("tests");
        Assert.Equal(["wald", "likelihoodRatio", "score"], tests.PropertyNames());
        foreach (var test in tests.EnumerateObject()) Assert.Equal(["chiSquare", "df", "p"], test.Value.PropertyNames());
    }

    [Fact]
    public void FactorOfNumbersWrittenAsWords_IsCodedAgainstItsFirstSortedLevel()
    {
        // The aml data with the two arms renamed so that the reference level sorts first either way.
        var (header, rows) = RReference.Table("cox_aml.csv");
        var text = string.Join(',', header) + "\n" + string.Join("\n", rows.Select(r =>
            $"{r[0]},{r[1]},{(r[2] == "Maintained" ? "a-maintained" : "b-stopped")}"));
        using var file = new TempCsv(text + "\n");

        var report = StatsRun.Of("cox", "--csv", file.Path, "--time", "time", "--event", "status", "--covariates", "x").Json();

        var coefficient = Assert.Single(report.GetProperty("coefficients").EnumerateArray());
        Assert.Equal("xb-stopped", coefficient.GetProperty("name").GetString());
        Close("aml.efron.coef.xNonmaintained", coefficient.Number("coef"));
    }

    [Fact]
    public void NonConvergence_IsWarnedOnStandardErrorWithTheJsonStillOnStandardOutput()
    {
        // Every subject with x = 1 has its event before anyone with x = 0 leaves: the estimate runs off to infinity,
        // as coxph warns.
        using var file = new TempCsv("time,status,x\n1,1,1\n2,1,1\n3,1,0\n4,0,0\n5,1,0\n");

        var run = StatsRun.Of("cox", "--csv", file.Path, "--time", "time", "--event", "status", "--covariates", "x");

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("warning: ", run.Error);
        Assert.Equal(JsonValueKind.Object, run.Json().ValueKind);
    }

    private static void AssertTest(string prefix, JsonElement test)
    {
        Close(prefix + "chisq", test.Number("chiSquare"));
        Assert.Equal((int)Expected[prefix + "df"]!.Value, test.Integer("df"));
        Close(prefix + "p", test.Number("p"));
    }

    /// Relative to 1e-6 as the library's validation; R's exact zeros are met to 1e-12 absolute.
    private static void Close(string key, double? actual)
    {
        Assert.True(Expected.ContainsKey(key), $"no expected value {key}");
        var expected = Expected[key];
        if (expected == 0 && actual is { } a && Math.Abs(a) < 1e-12) return;
        RReference.Close(expected, actual, Tolerance, key);
    }
}
