using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Tests.Outcomes;

public class Item9StatusTests
{
    [Fact]
    public void PositiveAtBaselineAndZeroAtLast_Resolved()
    {
        var item9 = new TestCourse().Sessions(0).Score(-1, 20, item9: 2).Score(7, 12, item9: 1).Score(14, 8, item9: 0).Derive().Item9;

        Assert.Equal(new Item9Status(2, true, null, true, 0, true), item9);
    }

    [Fact]
    public void PositiveAtBaselineAndStillPositive_NotResolved()
    {
        var item9 = new TestCourse().Sessions(0).Score(-1, 20, item9: 1).Score(14, 8, item9: 1).Derive().Item9;

        Assert.False(item9.Resolved);
    }

    [Fact]
    public void ResolvedJudgedOnTheLastScoreWithItems_TotalOnlyLastIsSkipped()
    {
        var item9 = new TestCourse().Sessions(0).Score(-1, 20, item9: 1).Score(7, 9, item9: 0).TotalOnly(14, 6).Derive().Item9;

        Assert.True(item9.Resolved);
        Assert.Equal(0, item9.LastKnownItem9);
    }

    [Fact]
    public void ZeroAtBaselineThenPositive_NewDuringTreatment()
    {
        var item9 = new TestCourse().Sessions(0).Score(-1, 18, item9: 0).Score(7, 15, item9: 2).Score(14, 10, item9: 0).Derive().Item9;

        Assert.False(item9.PositiveAtBaseline);
        Assert.True(item9.NewDuringTreatment);
        Assert.Null(item9.Resolved);
        Assert.True(item9.AnyPositive);
    }

    [Fact]
    public void ZeroThroughout_NothingNewNothingPositive()
    {
        var item9 = new TestCourse().Sessions(0).Score(-1, 18).Score(7, 15).Derive().Item9;

        Assert.Equal(new Item9Status(0, false, false, null, 0, false), item9);
    }

    [Fact]
    public void OnlyTotalOnlyScoresAfterBaseline_NewDuringTreatmentUnknown()
    {
        var item9 = new TestCourse().Sessions(0).Score(-1, 18).TotalOnly(7, 15).Derive().Item9;

        Assert.Null(item9.NewDuringTreatment);
    }

    [Fact]
    public void AllTotalOnly_EverythingUnknown()
    {
        var item9 = new TestCourse().Sessions(0).TotalOnly(-1, 18).TotalOnly(7, 15).Derive().Item9;

        Assert.Equal(new Item9Status(null, null, null, null, null, false), item9);
    }

    [Fact]
    public void PositiveItem9InASupersededSameDayScore_StillSurfaced()
    {
        var outcome = new TestCourse().Sessions(0).Score(-1, 18).Score(7, 15, item9: 2, hour: 9).Score(7, 12, item9: 0, hour: 16).Derive();

        Assert.Equal(1, outcome.SupersededSameDayScores);
        Assert.True(outcome.Item9.AnyPositive);
        Assert.True(outcome.Item9.NewDuringTreatment);
        Assert.Equal(0, outcome.Item9.LastKnownItem9);
    }

    [Fact]
    public void PositiveBeforeBaselineOnly_SurfacedButNotAtBaseline()
    {
        var item9 = new TestCourse().Sessions(0).Score(-10, 22, item9: 3).Score(-1, 18, item9: 0).Derive().Item9;

        Assert.True(item9.AnyPositive);
        Assert.False(item9.PositiveAtBaseline);
    }

    [Fact]
    public void NoBaseline_OnlyAnyPositiveKnown()
    {
        var item9 = new TestCourse().Sessions(0).Score(3, 18, item9: 1).Derive().Item9;

        Assert.Equal(new Item9Status(null, null, null, null, 1, true), item9);
    }
}
