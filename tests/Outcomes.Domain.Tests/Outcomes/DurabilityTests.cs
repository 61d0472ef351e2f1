using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Tests.Outcomes;

// Baseline 20 throughout: response means a total of 10 or less.
public class DurabilityTests
{
    private static TestCourse Responder() => new TestCourse().Sessions(0, 2, 4, 7, 9, 11).Score(-1, 20).Score(7, 8);

    [Fact]
    public void TwoNonResponses6DaysApart_LossAtTheFirstOfThem()
    {
        var outcome = Responder().Score(14, 12).Score(20, 13).Derive();

        Assert.Equal(new DurabilityTime(true, 7, 14, 6), outcome.LossOfResponse);
        Assert.Equal(outcome.LossOfResponse, outcome.Durability);
    }

    [Fact]
    public void TwoNonResponsesExactly5DaysApart_Loss()
    {
        var outcome = Responder().Score(14, 12).Score(19, 13).Derive();

        Assert.True(outcome.LossOfResponse!.Value.Event);
    }

    [Fact]
    public void NonResponsesOnly3DaysApartThenResponseAgain_NoLossCensoredAtLastAssessment()
    {
        var outcome = Responder().Score(14, 12).Score(17, 13).Score(21, 6).Derive();

        Assert.Equal(new DurabilityTime(false, 14, 21, 6), outcome.LossOfResponse);
    }

    [Fact]
    public void NonResponsesEveryTwoDaysFor6Days_LossAtTheStartOfTheRun()
    {
        var outcome = Responder().Score(14, 12).Score(16, 12).Score(18, 13).Score(20, 12).Derive();

        Assert.Equal(14, outcome.LossOfResponse!.Value.Day);
        Assert.Equal(7, outcome.LossOfResponse.Value.DaysFromOnset);
    }

    [Fact]
    public void SingleNonResponseBetweenResponses_NoLoss()
    {
        var outcome = Responder().Score(14, 12).Score(21, 9).Score(28, 14).Derive();

        Assert.False(outcome.LossOfResponse!.Value.Event);
        Assert.Equal(21, outcome.LossOfResponse.Value.DaysFromOnset);
    }

    [Fact]
    public void ResponderWithNoLaterAssessment_CensoredAtOnset()
    {
        var outcome = Responder().Derive();

        Assert.Equal(new DurabilityTime(false, 0, 7, 3), outcome.LossOfResponse);
        Assert.Equal(new DurabilityTime(false, 0, 7, 3), outcome.Relapse);
    }

    [Fact]
    public void ThreeConsecutiveRequiredByDefinitions_TwoAreNotEnough()
    {
        var definitions = new OutcomeDefinitions { LossOfResponseConsecutiveAssessments = 3 };

        Assert.False(Responder().Score(14, 12).Score(20, 13).Derive(definitions).LossOfResponse!.Value.Event);
        Assert.Equal(14, Responder().Score(14, 12).Score(16, 13).Score(20, 13).Derive(definitions).LossOfResponse!.Value.Day);
    }

    [Fact]
    public void TotalsOf10And11_RelapseButNoLossOfResponse()
    {
        // 10 still meets response (<= 10) but reaches the relapse total (>= 10).
        var outcome = Responder().Score(14, 10).Score(20, 11).Derive();

        Assert.Equal(new DurabilityTime(true, 7, 14, 6), outcome.Relapse);
        Assert.False(outcome.LossOfResponse!.Value.Event);
    }

    [Fact]
    public void RelapseTotalsMoreThan15DaysApart_NoRelapseButLoss()
    {
        var outcome = Responder().Score(14, 12).Score(35, 12).Derive();

        Assert.False(outcome.Relapse!.Value.Event);
        Assert.Equal(28, outcome.Relapse.Value.DaysFromOnset);
        Assert.Equal(14, outcome.LossOfResponse!.Value.Day);
    }

    [Fact]
    public void RelapseRunWhoseFirstPairIsTooFarApart_RelapseAtTheLaterOpening()
    {
        // Day 14 pairs with nothing in 5-15 days (16 is 2 days on, 30 is 16); day 16 pairs with day 30 (14 days).
        var outcome = Responder().Score(14, 12).Score(16, 12).Score(30, 12).Derive();

        Assert.Equal(16, outcome.Relapse!.Value.Day);
        Assert.Equal(9, outcome.Relapse.Value.DaysFromOnset);
    }

    [Fact]
    public void RelapseChosenAsDurability_DurabilityIsRelapse()
    {
        var definitions = new OutcomeDefinitions { Durability = DurabilityDefinition.Relapse };

        var outcome = Responder().Score(14, 10).Score(20, 11).Derive(definitions);

        Assert.Equal(outcome.Relapse, outcome.Durability);
        Assert.True(outcome.Durability!.Value.Event);
    }

    [Fact]
    public void RelapseThresholdFromDefinitions_Higher()
    {
        var outcome = Responder().Score(14, 12).Score(20, 13).Derive(new OutcomeDefinitions { RelapseMinimumTotal = 15 });

        Assert.False(outcome.Relapse!.Value.Event);
    }

    [Fact]
    public void ResponsesAWeekApart_SustainedResponse()
    {
        Assert.True(Responder().Score(14, 9).Derive().SustainedResponse);
    }

    [Fact]
    public void ResponsesSixDaysApart_NotSustained()
    {
        Assert.False(Responder().Score(13, 9).Derive().SustainedResponse);
    }

    [Fact]
    public void ResponsesAWeekApartInterruptedByNonResponse_NotSustained()
    {
        Assert.False(Responder().Score(10, 12).Score(14, 9).Derive().SustainedResponse);
    }

    [Fact]
    public void IneligibleCourse_NoDurability()
    {
        var outcome = new TestCourse().Sessions(0).Score(-1, 8).Score(7, 2).Score(14, 8).Score(20, 8).Derive();

        Assert.Null(outcome.LossOfResponse);
        Assert.Null(outcome.Relapse);
        Assert.Null(outcome.SustainedResponse);
    }
}
