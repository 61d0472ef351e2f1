using System.Globalization;
using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Cli.Tests.Stats;

/// `outcomes stats lmm` against analytics/validation/lmm.R (lme4::lmer, REML).
public class MixedModelCommandTests
{
    private static readonly IReadOnlyDictionary<string, double?> Expected = RReference.Expected("lmm_expected.csv");

    public static TheoryData<string, string> Fits()
    {
        var data = new TheoryData<string, string>();
        foreach (var dataset in new[] { "sleepstudy", "phq9_complete", "phq9_missing", "singular" })
        {
            data.Add(dataset, "intercept");
            data.Add(dataset, "slope");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Fits))]
    public void Fit_MatchesLmer(string dataset, string random)
    {
        var report = StatsRun.Of("lmm", "--csv", StatsRun.Data($"lmm_{dataset}.csv"), "--subject", "subject", "--time", "time",
            "--outcome", "outcome", "--random", random).Json();

        var prefix = $"{dataset}.{random}.";
        var effects = report.GetProperty("fixedEffects").EnumerateArray().ToList();
        Assert.Equal(["(Intercept)", "time"], effects.Select(e => e.GetProperty("name").GetString()));
        foreach (var effect in effects)
        {
            var name = effect.GetProperty("name").GetString();
            RReference.Close(Expected[$"{prefix}estimate.{name}"], effect.Number("estimate"), 1e-6, $"{prefix}estimate.{name}");
            RReference.Close(Expected[$"{prefix}se.{name}"], effect.Number("se"), 1e-6, $"{prefix}se.{name}");
        }
        var variance = report.GetProperty("variance");
        foreach (var component in new[] { "intercept", "slope", "covariance", "residual" })
            RReference.Close(Expected[$"{prefix}variance.{component}"], variance.Number(component), 1e-3, $"{prefix}variance.{component}");
        var logLik = Expected[prefix + "logLik"]!.Value;
        Assert.True(Math.Abs(logLik - report.Number("logLikelihood")!.Value) <= 1e-6,
            $"{prefix}logLik: expected {logLik:R}, got {report.Number("logLikelihood"):R}");
    }

    [Fact]
    public void DefaultRandomEffects_AreInterceptAndSlope()
    {
        var report = StatsRun.Of("lmm", "--csv", StatsRun.Data("lmm_sleepstudy.csv"), "--subject", "subject", "--time", "time",
            "--outcome", "outcome").Json();

        RReference.Close(Expected["sleepstudy.slope.variance.slope"], report.GetProperty("variance").Number("slope"), 1e-3, "slope variance");
    }

    [Fact]
    public void SingularFit_IsWarnedOnStandardError()
    {
        var run = StatsRun.Of("lmm", "--csv", StatsRun.Data("lmm_singular.csv"), "--subject", "subject", "--time", "time",
            "--outcome", "outcome", "--random", "slope");

        Assert.Equal(1, Expected["singular.slope.singular"]);
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("warning: boundary (singular) fit", run.Error);
    }

    [Fact]
    public void Json_HasExactlyThePromisedFieldsInOrder()
    {
        var report = StatsRun.Of("lmm", "--csv", StatsRun.Data("lmm_sleepstudy.csv"), "--subject", "subject", "--time", "time",
            "--outcome", "outcome", "--random", "intercept").Json();

        Assert.Equal(["droppedRows", "fixedEffects", "variance", "logLikelihood"], report.PropertyNames());
        Assert.Equal(["name", "estimate", "se"], report.GetProperty("fixedEffects")[0].PropertyNames());
        Assert.Equal(["intercept", "slope", "covariance", "residual"], report.GetProperty("variance").PropertyNames());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, report.GetProperty("variance").GetProperty("slope").ValueKind);
    }

    [Fact]
    public void TimeInSeconds_IsFittedAsInDays()
    {
        // Issue 12: sleepstudy with days x 86400 was refused as "did not reach a stationary point".
        var lines = File.ReadAllLines(StatsRun.Data("lmm_sleepstudy.csv"));
        var time = Array.IndexOf(lines[0].Split(','), "time");
        using var file = new TempCsv(string.Join("\n", lines.Select((line, i) => i == 0 ? line : string.Join(',',
            line.Split(',').Select((cell, c) => c == time ? (double.Parse(cell, CultureInfo.InvariantCulture) * 86400)
                .ToString(CultureInfo.InvariantCulture) : cell)))) + "\n", name: "sleepstudy_seconds.csv");
        var units = RReference.Expected("lmm_units_expected.csv");

        var run = StatsRun.Of("lmm", "--csv", file.Path, "--subject", "subject", "--time", "time", "--outcome", "outcome");

        var report = run.Json();
        Assert.Equal("", run.Error);
        RReference.Close(units["sleepstudy_seconds.slope.estimate.time"], report.GetProperty("fixedEffects")[1].Number("estimate"), 1e-6, "slope");
        RReference.Close(units["sleepstudy_seconds.slope.variance.slope"], report.GetProperty("variance").Number("slope"), 1e-3, "slope variance");
        RReference.Close(units["sleepstudy_seconds.slope.variance.covariance"], report.GetProperty("variance").Number("covariance"), 1e-3, "covariance");
    }
}
