using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Tests.Outcomes;

public class ChangeFromBaselineTests
{
    [Theory]
    [InlineData(14, 8, true, true)]
    [InlineData(14, 9, false, true)]
    [InlineData(14, 10, false, false)]
    [InlineData(14, 20, false, false)]
    public void DropToLastAssessment_ReliableImprovementAt6AndMcidAt5(int baseline, int last, bool reliable, bool mcid)
    {
        var outcome = new TestCourse().Sessions(0).Score(-1, baseline).Score(14, last).Derive();

        Assert.Equal(last - baseline, outcome.ChangeFromBaseline);
        Assert.Equal(reliable, outcome.ReliableImprovement);
        Assert.Equal(mcid, outcome.MinimalClinicallyImportantImprovement);
    }

    [Fact]
    public void BestScoreEarlierThanLast_UsesTheLast()
    {
        var outcome = new TestCourse().Sessions(0).Score(-1, 14).Score(7, 4).Score(14, 12).Derive();

        Assert.Equal(-2, outcome.ChangeFromBaseline);
        Assert.False(outcome.ReliableImprovement);
        Assert.True(outcome.RemissionEver);
    }

    [Fact]
    public void ThresholdsFromDefinitions_AreUsed()
    {
        var definitions = new OutcomeDefinitions { ReliableImprovementMinimumDrop = 8, MinimalClinicallyImportantDrop = 7 };

        var outcome = new TestCourse().Sessions(0).Score(-1, 14).Score(14, 7).Derive(definitions);

        Assert.False(outcome.ReliableImprovement);
        Assert.True(outcome.MinimalClinicallyImportantImprovement);
    }

    [Fact]
    public void NoPostBaselineAssessment_Unknown()
    {
        var outcome = new TestCourse().Sessions(0).Score(-1, 14).Derive();

        Assert.Null(outcome.ChangeFromBaseline);
        Assert.Null(outcome.ReliableImprovement);
        Assert.Null(outcome.MinimalClinicallyImportantImprovement);
    }
}
