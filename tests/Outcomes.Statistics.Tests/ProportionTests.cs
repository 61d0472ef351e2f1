using System.Globalization;
using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Statistics.Tests;

public class ProportionTests
{
    private const double Tolerance = 1e-9;
    private static readonly IReadOnlyDictionary<string, double?> R = RReference.Expected("km-expected.csv");

    public static TheoryData<int, int, string> Cases()
    {
        var cases = new TheoryData<int, int, string>();
        foreach (var key in R.Keys.Where(k => k.StartsWith("prop.", StringComparison.Ordinal) && k.EndsWith(".wilson.lower", StringComparison.Ordinal)))
        {
            var parts = key["prop.".Length..^".wilson.lower".Length].Split('.', 3);
            cases.Add(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), parts[2]);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Wilson_MatchesPropTestWithoutCorrection(int x, int n, string level)
    {
        var interval = Proportion.Wilson(x, n, double.Parse(level, CultureInfo.InvariantCulture));

        var key = $"prop.{x}.{n}.{level}.wilson";
        Assert.Equal((double)x / n, interval.Estimate);
        RReference.Close(R[$"{key}.lower"], interval.Lower, Tolerance, $"{key}.lower");
        RReference.Close(R[$"{key}.upper"], interval.Upper, Tolerance, $"{key}.upper");
        Assert.Equal("wilson", interval.Method);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ClopperPearson_MatchesBinomTest(int x, int n, string level)
    {
        var interval = Proportion.ClopperPearson(x, n, double.Parse(level, CultureInfo.InvariantCulture));

        var key = $"prop.{x}.{n}.{level}.exact";
        RReference.Close(R[$"{key}.lower"], interval.Lower, Tolerance, $"{key}.lower");
        RReference.Close(R[$"{key}.upper"], interval.Upper, Tolerance, $"{key}.upper");
        Assert.Equal("clopper-pearson", interval.Method);
    }

    [Fact]
    public void NoneOrAll_LimitsExactlyZeroOrOne()
    {
        Assert.Equal(0, Proportion.Wilson(0, 20).Lower);
        Assert.Equal(1, Proportion.Wilson(20, 20).Upper);
        Assert.Equal(0, Proportion.ClopperPearson(0, 20).Lower);
        Assert.Equal(1, Proportion.ClopperPearson(20, 20).Upper);
    }

    [Fact]
    public void NoTrials_NoEstimate()
    {
        Assert.Equal(new ProportionEstimate(null, null, null, "wilson"), Proportion.Wilson(0, 0));
        Assert.Equal(new ProportionEstimate(null, null, null, "clopper-pearson"), Proportion.ClopperPearson(0, 0));
    }

    [Theory]
    [InlineData(-1, 5, "events")]
    [InlineData(6, 5, "events")]
    [InlineData(0, -1, "n")]
    public void CountsOutOfRange_Rejected(int x, int n, string parameter)
    {
        Assert.Equal(parameter, Assert.Throws<ArgumentException>(() => Proportion.Wilson(x, n)).ParamName);
        Assert.Equal(parameter, Assert.Throws<ArgumentException>(() => Proportion.ClopperPearson(x, n)).ParamName);
    }

    [Fact]
    public void ConfidenceLevelOfOne_Rejected()
    {
        Assert.Equal("confidenceLevel", Assert.Throws<ArgumentException>(() => Proportion.Wilson(1, 2, 1)).ParamName);
    }

    [Fact]
    public void NormalQuantile_MatchesR()
    {
        // Through a Wilson limit: the z it uses must be R's qnorm(0.975) for the limits above to agree.
        RReference.Close(R["qnorm.975"], 1.9599639845400536, 1e-15, "qnorm reference");
        var interval = Proportion.Wilson(0, 1);
        var z = R["qnorm.975"]!.Value;
        RReference.Close(z * z / (1 + z * z), interval.Upper, 1e-14, "upper limit of 0/1");
    }
}
