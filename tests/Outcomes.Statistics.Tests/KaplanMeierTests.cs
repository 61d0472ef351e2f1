using System.Globalization;
using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Statistics.Tests;

public class KaplanMeierTests
{
    private const double Tolerance = 1e-9;
    private static readonly IReadOnlyDictionary<string, double?> R = RReference.Expected("km-expected.csv");

    private static readonly Dictionary<string, double[]> AtTimes = new()
    {
        ["aml"] = [0, 5, 12, 30, 48, 200],
        ["lung"] = [0, 100, 183, 365, 730, 1100],
        ["ties"] = [0, 1, 2.5, 7, 15, 30],
        ["half"] = [0, 1, 2, 3, 4, 5],
    };

    public static TheoryData<string, string, string> Fits()
    {
        var fits = new TheoryData<string, string, string>();
        foreach (var data in new[] { "aml", "lung", "ties", "half" })
        foreach (var type in new[] { "log", "log-log", "plain" })
            fits.Add(data, type, "0.95");
        fits.Add("lung", "log", "0.9");
        return fits;
    }

    [Theory]
    [MemberData(nameof(Fits))]
    public void CurvesByGroup_MatchSurvfit(string data, string type, string level)
    {
        var (time, status, group) = SurvivalData.Load(data);

        var curves = KaplanMeier.EstimateByGroup(
            time, status, group, double.Parse(level, CultureInfo.InvariantCulture), SurvivalIntervalTypes.Parse(type));

        var prefix = $"km.{data}.{type}.{level}";
        Assert.Equal((int)R[$"{prefix}.groups"]!.Value, curves.Count);
        foreach (var curve in curves)
            AssertCurve($"{prefix}.{curve.Group}", curve, AtTimes[data]);
    }

    [Theory]
    [MemberData(nameof(Fits))]
    public void CurveOverAll_MatchesSurvfit(string data, string type, string level)
    {
        var (time, status, _) = SurvivalData.Load(data);

        var curve = KaplanMeier.Estimate(
            time, status, double.Parse(level, CultureInfo.InvariantCulture), SurvivalIntervalTypes.Parse(type));

        Assert.Null(curve.Group);
        AssertCurve($"km.{data}.{type}.{level}.all", curve, AtTimes[data]);
    }

    public static TheoryData<string> SmallCurves()
    {
        var sets = new TheoryData<string>();
        foreach (var set in SurvivalData.Load("fuzz").Group.Distinct()) sets.Add(set);
        return sets;
    }

    [Theory]
    [MemberData(nameof(SmallCurves))]
    public void SmallTiedCurves_MatchSurvfitInEveryIntervalType(string set)
    {
        var (time, status, group) = SurvivalData.Load("fuzz");
        var mine = Enumerable.Range(0, time.Length).Where(i => group[i] == set).ToArray();

        foreach (var type in new[] { "log", "log-log", "plain" })
        {
            var curve = KaplanMeier.Estimate(
                mine.Select(i => time[i]).ToArray(), mine.Select(i => status[i]).ToArray(),
                intervalType: SurvivalIntervalTypes.Parse(type));

            AssertCurve($"fuzz.{set}.{type}", curve, type == "log" ? [0, 1, 2, 3.5, 6, 7] : null);
        }
    }

    [Fact]
    public void NumericGroups_SortNumericallyAsFactorLevels()
    {
        var (time, status, group) = SurvivalData.Load("lung");
        var sex = group.Select(g => int.Parse(g, CultureInfo.InvariantCulture)).ToArray();

        var curves = KaplanMeier.EstimateByGroup(time, status, sex);

        Assert.Equal(["1", "2"], curves.Select(c => c.Group));
        RReference.Close(R["km.lung.log.0.95.2.median"], curves[1].Median.Estimate, Tolerance, "median, sex 2");
    }

    [Fact]
    public void CurveAtHalfUntilItsEnd_MedianFollowsPrintAndQuantileFollowsQuantileSurvfit()
    {
        var curve = KaplanMeier.Estimate([1, 2, 3, 4], [1, 1, 0, 0]);

        Assert.Equal(2, curve.Median.Estimate);
        Assert.Equal(3, KaplanMeier.Quantile(curve, 0.5).Estimate);
    }

    [Fact]
    public void CurveAtHalfOverAnInterval_MedianIsTheMidpoint()
    {
        var curve = KaplanMeier.Estimate([1, 2, 3, 4], [1, 1, 0, 1]);

        Assert.Equal(3, curve.Median.Estimate);
        Assert.Equal(1, curve.Median.Lower);
        Assert.Null(curve.Median.Upper);
    }

    [Fact]
    public void NoSubjects_EmptyCurveWithoutMedian()
    {
        var curve = KaplanMeier.Estimate([], []);

        Assert.Equal(0, curve.N);
        Assert.Equal(0, curve.Events);
        Assert.Empty(curve.Table);
        Assert.Equal(new SurvivalTimeEstimate(null, null, null), curve.Median);
        Assert.Empty(KaplanMeier.At(curve, [0, 10]));
        Assert.Equal(new SurvivalTimeEstimate(null, null, null), KaplanMeier.Quantile(curve, 0.5));
        Assert.Empty(KaplanMeier.EstimateByGroup([], [], Array.Empty<string>()));
    }

    [Fact]
    public void OneSubjectWithEvent_SurvivalFallsToZeroWithUndefinedErrorAndLimits()
    {
        var curve = KaplanMeier.Estimate([5], [1]);

        var row = Assert.Single(curve.Table);
        Assert.Equal(new KaplanMeierRow(5, 1, 1, 0, 0, null, null, null), row);
        Assert.Equal(new SurvivalTimeEstimate(5, null, null), curve.Median);
    }

    [Fact]
    public void OneSubjectCensored_SurvivalStaysOneWithoutMedian()
    {
        var curve = KaplanMeier.Estimate([5], [0]);

        Assert.Equal(new KaplanMeierRow(5, 1, 0, 1, 1, 0, 1, 1), Assert.Single(curve.Table));
        Assert.Equal(new SurvivalTimeEstimate(null, null, null), curve.Median);
    }

    [Fact]
    public void AllCensored_NoEventsAndLogLogLimitsUndefined()
    {
        var curve = KaplanMeier.Estimate([1, 2, 2, 7], [0, 0, 0, 0], intervalType: SurvivalIntervalType.LogLog);

        Assert.Equal(0, curve.Events);
        Assert.All(curve.Table, r => Assert.Equal((1.0, 0.0, (double?)null, (double?)null), (r.Survival, r.StdErr!.Value, r.Lower, r.Upper)));
        Assert.Null(curve.Median.Estimate);
    }

    [Fact]
    public void AllTimesTied_OneRowAndMedianAtThatTime()
    {
        var curve = KaplanMeier.Estimate([3, 3, 3, 3], [1, 1, 0, 0]);

        var row = Assert.Single(curve.Table);
        Assert.Equal((3.0, 4, 2, 2, 0.5), (row.Time, row.NRisk, row.NEvent, row.NCensor, row.Survival));
        RReference.Close(0.25, row.StdErr, Tolerance, "std.err");
        RReference.Close(0.18765892870658832, row.Lower, Tolerance, "lower");
        Assert.Equal(1, row.Upper);
        Assert.Equal(new SurvivalTimeEstimate(3, 3, null), curve.Median);
    }

    [Fact]
    public void LastSubjectsAtRiskAllDie_SurvivalZeroWithUndefinedErrorAndLimits()
    {
        var curve = KaplanMeier.Estimate([1, 2, 3, 3], [1, 0, 1, 1], intervalType: SurvivalIntervalType.Plain);

        var last = curve.Table[^1];
        Assert.Equal((3.0, 2, 2, 0.0), (last.Time, last.NRisk, last.NEvent, last.Survival));
        Assert.Equal(((double?)null, (double?)null, (double?)null), (last.StdErr, last.Lower, last.Upper));
        Assert.Equal(0.75, curve.Table[0].Survival);
    }

    [Fact]
    public void NearlyEqualTimes_AreOneTime()
    {
        var curve = KaplanMeier.Estimate([0.1 + 0.2, 0.3, 1], [1, 1, 0]);

        Assert.Equal(2, curve.Table.Count);
        Assert.Equal((0.3, 2), (curve.Table[0].Time, curve.Table[0].NEvent));
    }

    [Fact]
    public void ReadingAtTimes_RejectsNegativeTimes()
    {
        var curve = KaplanMeier.Estimate([1, 2], [1, 0]);

        var error = Assert.Throws<ArgumentException>(() => KaplanMeier.At(curve, [1, -1]));
        Assert.Equal("times", error.ParamName);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void ConfidenceLevelOutsideZeroOne_Rejected(double level)
    {
        var error = Assert.Throws<ArgumentException>(() => KaplanMeier.Estimate([1], [1], level));
        Assert.Equal("confidenceLevel", error.ParamName);
    }

    [Fact]
    public void UnknownIntervalName_Rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => SurvivalIntervalTypes.Parse("logit"));
        Assert.Contains("log-log", error.Message);
    }

    private static void AssertCurve(string prefix, KaplanMeierCurve curve, double[]? atTimes)
    {
        Assert.Equal((int)R[$"{prefix}.n"]!.Value, curve.N);
        Assert.Equal((int)R[$"{prefix}.events"]!.Value, curve.Events);
        Assert.Equal((int)R[$"{prefix}.rows"]!.Value, curve.Table.Count);
        AssertRows($"{prefix}.row", curve.Table);

        AssertTime($"{prefix}.median", curve.Median);
        foreach (var (p, name) in new[] { (0.25, "q25"), (0.5, "q50"), (0.75, "q75") })
            AssertTime($"{prefix}.{name}", KaplanMeier.Quantile(curve, p));

        foreach (var extend in atTimes is null ? [] : new[] { false, true })
        {
            var at = KaplanMeier.At(curve, atTimes!, extend);
            var key = $"{prefix}.at.{(extend ? "true" : "false")}";
            Assert.Equal((int)R[$"{key}.rows"]!.Value, at.Count);
            AssertRows($"{key}.row", at);
        }
    }

    private static void AssertRows(string prefix, IReadOnlyList<KaplanMeierRow> rows)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            var key = $"{prefix}{i + 1}";
            var row = rows[i];
            RReference.Close(R[$"{key}.time"], row.Time, Tolerance, $"{key}.time");
            Assert.Equal((int)R[$"{key}.nRisk"]!.Value, row.NRisk);
            Assert.Equal((int)R[$"{key}.nEvent"]!.Value, row.NEvent);
            Assert.Equal((int)R[$"{key}.nCensor"]!.Value, row.NCensor);
            RReference.Close(R[$"{key}.survival"], row.Survival, Tolerance, $"{key}.survival");
            RReference.Close(R[$"{key}.stdErr"], row.StdErr, Tolerance, $"{key}.stdErr");
            RReference.Close(R[$"{key}.lower"], row.Lower, Tolerance, $"{key}.lower");
            RReference.Close(R[$"{key}.upper"], row.Upper, Tolerance, $"{key}.upper");
        }
    }

    private static void AssertTime(string key, SurvivalTimeEstimate estimate)
    {
        RReference.Close(R[key], estimate.Estimate, Tolerance, key);
        RReference.Close(R[$"{key}.lower"], estimate.Lower, Tolerance, $"{key}.lower");
        RReference.Close(R[$"{key}.upper"], estimate.Upper, Tolerance, $"{key}.upper");
    }
}
