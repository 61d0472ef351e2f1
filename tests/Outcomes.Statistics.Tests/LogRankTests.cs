using System.Globalization;
using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Statistics.Tests;

public class LogRankTests
{
    private const double Tolerance = 1e-9;
    private static readonly IReadOnlyDictionary<string, double?> R = RReference.Expected("km-expected.csv");

    [Theory]
    [InlineData("aml")]
    [InlineData("lung")]
    [InlineData("ties")]
    [InlineData("half")]
    public void Groups_MatchSurvdiff(string data)
    {
        var (time, status, group) = SurvivalData.Load(data);

        var test = LogRank.Test(time, status, group);

        var prefix = $"lr.{data}";
        RReference.Close(R[$"{prefix}.chisq"], test.ChiSquare, Tolerance, "chisq");
        Assert.Equal((int)R[$"{prefix}.df"]!.Value, test.Df);
        RReference.Close(R[$"{prefix}.p"], test.P, Tolerance, "p");
        for (var g = 0; g < test.Groups.Count; g++)
        {
            var result = test.Groups[g];
            var key = $"{prefix}.{result.Group}";
            Assert.Equal((int)R[$"{key}.n"]!.Value, result.N);
            Assert.Equal((int)R[$"{key}.observed"]!.Value, result.Observed);
            RReference.Close(R[$"{key}.expected"], result.Expected, Tolerance, $"{key}.expected");
            for (var h = 0; h < test.Groups.Count; h++)
                RReference.Close(R[$"{prefix}.var.{g + 1}.{h + 1}"], test.Variance[g][h], Tolerance, $"var[{g},{h}]");
        }
    }

    [Theory]
    [InlineData(2, 40, 5)]
    [InlineData(7, 300, 20)]
    [InlineData(60, 2_000, 150)]
    [InlineData(60, 2_000, 100_000)]
    public void ManyGroupsWithTies_ExpectedAndVarianceAsTheTimeByTimeFormula(int groups, int subjects, int distinctTimes)
    {
        // The test sums per stretch of constant numbers at risk; this is the textbook sum over every event time.
        var random = new Random(groups * 7919 + subjects);
        var time = Enumerable.Range(0, subjects).Select(_ => (double)random.Next(distinctTimes)).ToArray();
        var status = Enumerable.Range(0, subjects).Select(_ => random.Next(4) == 0 ? 0 : 1).ToArray();
        var group = Enumerable.Range(0, subjects).Select(_ => random.Next(groups)).ToArray();

        var test = LogRank.Test(time, status, group);

        var expected = new double[groups];
        var variance = new double[groups, groups];
        foreach (var t in time.Distinct().Order())
        {
            var atRisk = new double[groups];
            double d = 0, n = 0;
            for (var i = 0; i < subjects; i++)
            {
                if (time[i] < t) continue;
                atRisk[group[i]]++;
                n++;
                if (time[i] == t && status[i] == 1) d++;
            }
            if (d == 0) continue;
            for (var g = 0; g < groups; g++)
            {
                expected[g] += d * atRisk[g] / n;
                if (n < 2) continue;
                var term = d * atRisk[g] * (n - d) / (n * (n - 1));
                variance[g, g] += term;
                for (var h = 0; h < groups; h++) variance[g, h] -= term * atRisk[h] / n;
            }
        }
        var labels = test.Groups.Select(g => int.Parse(g.Group!, CultureInfo.InvariantCulture)).ToArray();
        for (var g = 0; g < labels.Length; g++)
        {
            RReference.Close(expected[labels[g]], test.Groups[g].Expected, 1e-12, $"expected[{g}]");
            for (var h = 0; h < labels.Length; h++)
                Assert.True(Math.Abs(variance[labels[g], labels[h]] - test.Variance[g][h]) <= 1e-12 * Math.Max(1, Math.Abs(variance[labels[g], labels[g]])),
                    $"var[{g},{h}]: expected {variance[labels[g], labels[h]]:R}, got {test.Variance[g][h]:R}");
        }
    }

    [Fact]
    public void ThreeGroups_HaveTwoDegreesOfFreedomInLevelOrder()
    {
        var (time, status, group) = SurvivalData.Load("ties");

        var test = LogRank.Test(time, status, group);

        Assert.Equal(2, test.Df);
        Assert.Equal(["A", "B", "C"], test.Groups.Select(g => g.Group));
    }

    [Fact]
    public void SortedSampleShared_SameResultAsFromArrays()
    {
        var (time, status, group) = SurvivalData.Load("lung");
        var sample = SurvivalSample.Create(time, status, group);

        var shared = LogRank.Test(sample);
        var curves = KaplanMeier.EstimateByGroup(sample);

        Assert.Equal(LogRank.Test(time, status, group).ChiSquare, shared.ChiSquare);
        Assert.Equal(KaplanMeier.EstimateByGroup(time, status, group)[0].Table, curves[0].Table);
    }

    [Fact]
    public void NoSubjects_NothingToTest()
    {
        var test = LogRank.Test([], [], Array.Empty<string>());

        Assert.Equal((0.0, 0, (double?)null), (test.ChiSquare, test.Df, test.P));
        Assert.Empty(test.Groups);
    }

    [Fact]
    public void OneGroup_ZeroDegreesOfFreedomAndPOne()
    {
        var test = LogRank.Test([1, 2, 3], [1, 0, 1], ["a", "a", "a"]);

        Assert.Equal((0.0, 0, (double?)1.0), (test.ChiSquare, test.Df, test.P));
        Assert.Equal(new LogRankGroup("a", 3, 2, 2), Assert.Single(test.Groups));
    }

    [Fact]
    public void NoEvents_NothingToTest()
    {
        var test = LogRank.Test([1, 2, 3, 4], [0, 0, 0, 0], ["a", "b", "a", "b"]);

        Assert.Equal((0.0, 0, (double?)null), (test.ChiSquare, test.Df, test.P));
        Assert.All(test.Groups, g => Assert.Equal(0, g.Expected));
    }

    [Fact]
    public void AllTimesTied_MatchesSurvdiff()
    {
        // R: survdiff(Surv(rep(3, 6), c(1,0,1,1,0,0)) ~ c(1,1,1,2,2,2)): chisq 0.5555..., var 0.45.
        var test = LogRank.Test([3, 3, 3, 3, 3, 3], [1, 0, 1, 1, 0, 0], [1, 1, 1, 2, 2, 2]);

        RReference.Close(0.55555555555555558, test.ChiSquare, Tolerance, "chisq");
        RReference.Close(0.45000000000000001, test.Variance[0][0], Tolerance, "var");
        Assert.Equal(1, test.Df);
    }

    [Theory]
    [InlineData(new double[] { 1, 1 }, new[] { 1, 1 }, new[] { "a", "b" })]
    [InlineData(new double[] { 4, 4, 4, 4, 4, 4, 2 }, new[] { 1, 1, 1, 1, 1, 1, 0 }, new[] { "a", "b", "c", "a", "b", "c", "a" })]
    public void AllEventsAtOneTime_VarianceIsZero_WarnsAndGivesNoP(double[] time, int[] status, string[] group)
    {
        // Everyone at risk dies at the only event time: V = 0, where R's solve() stops ("exactly singular").
        // p = 1 would claim a test that found nothing; there was nothing to test.
        var test = LogRank.Test(time, status, group);

        Assert.Equal((0.0, 0, (double?)null), (test.ChiSquare, test.Df, test.P));
        Assert.Contains("the log-rank variance is 0", Assert.Single(test.Warnings));
    }

    [Fact]
    public void OrdinaryTest_HasNoWarnings()
    {
        var (time, status, group) = SurvivalData.Load("aml");

        Assert.Empty(LogRank.Test(time, status, group).Warnings);
    }

    [Fact]
    public void GroupCensoredBeforeFirstEvent_LeftOutOfDegreesOfFreedomAsInSurvdiff()
    {
        // R: survdiff gives chisq 0.486, df 1 (group c has E = 0), p 0.486.
        var test = LogRank.Test([1, 2, 3, 4, 5, 6], [0, 1, 1, 0, 1, 0], ["c", "a", "b", "a", "b", "a"]);

        Assert.Equal(1, test.Df);
        Assert.Equal(0, test.Groups.Single(g => g.Group == "c").Expected);
        Assert.InRange(test.P!.Value, 0.48, 0.49);
    }

    [Fact]
    public void OnlyOneGroupExpectsEvents_ZeroDegreesOfFreedomAndPOneAsInSurvdiff()
    {
        // R: survdiff(Surv(c(1,2), c(0,1)) ~ c("b","a")) gives chisq 0, df 0, pchisq(0, 0, lower.tail = FALSE) = 1.
        var test = LogRank.Test([1, 2], [0, 1], ["b", "a"]);

        Assert.Equal((0.0, 0, (double?)1.0), (test.ChiSquare, test.Df, test.P));
    }

    [Fact]
    public void SmallPValue_KeepsItsDigits()
    {
        var n = 400;
        var time = Enumerable.Range(0, n).Select(i => (double)(i % 2 == 0 ? i : i + 1000)).ToArray();
        var status = Enumerable.Repeat(1, n).ToArray();
        var group = Enumerable.Range(0, n).Select(i => (i % 2).ToString(CultureInfo.InvariantCulture)).ToArray();

        var test = LogRank.Test(time, status, group);

        Assert.InRange(test.P!.Value, double.Epsilon, 1e-20);
    }
}
