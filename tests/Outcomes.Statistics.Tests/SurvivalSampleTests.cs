namespace Outcomes.Statistics.Tests;

public class SurvivalSampleTests
{
    [Fact]
    public void DifferentLengths_RejectedNamingTheArray()
    {
        var error = Assert.Throws<ArgumentException>(() => SurvivalSample.Create([1, 2], [1]));
        Assert.Equal("status", error.ParamName);
        Assert.Contains("one value per subject", error.Message);

        error = Assert.Throws<ArgumentException>(() => SurvivalSample.Create([1, 2], [1, 0], ["a"]));
        Assert.Equal("group", error.ParamName);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void BadTime_RejectedNamingSubjectAndRule(double bad)
    {
        var error = Assert.Throws<ArgumentException>(() => KaplanMeier.Estimate([1, bad], [1, 0]));
        Assert.Equal("time", error.ParamName);
        Assert.Contains("time[1]", error.Message);
        Assert.Contains("finite and not negative", error.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(-1)]
    public void StatusNotZeroOrOne_Rejected(int bad)
    {
        var error = Assert.Throws<ArgumentException>(() => LogRank.Test([1, 2], [bad, 0], ["a", "b"]));
        Assert.Equal("status", error.ParamName);
        Assert.Contains("status[0]", error.Message);
    }

    [Fact]
    public void NullGroupLabel_Rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => SurvivalSample.Create([1, 2], [1, 0], ["a", null!]));
        Assert.Equal("group", error.ParamName);
    }

    [Fact]
    public void NegativeZeroTime_CountsAsZero()
    {
        var curve = KaplanMeier.Estimate([-0.0, 0.0, 1], [1, 0, 1]);

        Assert.Equal(0.0, curve.Table[0].Time);
        Assert.Equal((3, 1, 1), (curve.Table[0].NRisk, curve.Table[0].NEvent, curve.Table[0].NCensor));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LargeSample_LinearTimeSortAgreesWithComparisonSort(bool wholeDaysOnly)
    {
        var random = new Random(7);
        var n = 50_000;
        var time = new double[n];
        var status = new int[n];
        var group = new int[n];
        for (var i = 0; i < n; i++)
        {
            // Whole days and thousandths: no two distinct times close enough to be merged as near-ties.
            time[i] = wholeDaysOnly || i % 3 == 0 ? random.Next(0, 400) : Math.Round(random.NextDouble() * 1000, 3);
            status[i] = random.Next(2);
            group[i] = random.Next(3);
        }

        var curves = KaplanMeier.EstimateByGroup(time, status, group);

        for (var g = 0; g < 3; g++)
        {
            var expected = ComparisonSortCurve(time, status, group, g);
            var table = curves[g].Table;
            Assert.Equal(expected.Count, table.Count);
            for (var i = 0; i < table.Count; i++)
                Assert.Equal(expected[i], (table[i].Time, table[i].NRisk, table[i].NEvent, table[i].Survival));
        }
    }

    private static List<(double, int, int, double)> ComparisonSortCurve(double[] time, int[] status, int[] group, int g)
    {
        var mine = Enumerable.Range(0, time.Length).Where(i => group[i] == g).OrderBy(i => time[i]).ToArray();
        var rows = new List<(double, int, int, double)>();
        var survival = 1.0;
        var atRisk = mine.Length;
        foreach (var block in mine.GroupBy(i => time[i]))
        {
            var d = block.Count(i => status[i] == 1);
            if (d > 0) survival *= (atRisk - d) / (double)atRisk;
            rows.Add((block.Key, atRisk, d, survival));
            atRisk -= block.Count();
        }
        return rows;
    }
}
