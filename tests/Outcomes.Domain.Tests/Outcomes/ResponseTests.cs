using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Tests.Outcomes;

public class ResponseTests
{
    [Fact]
    public void HalvingFromBaseline20_FirstResponseAtTheFirstTotalOf10OrLess()
    {
        var outcome = new TestCourse().Sessions(0, 2, 4, 7, 9, 11).Score(-1, 20).Score(7, 14).Score(14, 10).Score(21, 8).Derive();

        Assert.Equal(new Milestone(14, 6, 10), outcome.FirstResponse);
        Assert.Equal(new ResponseOnset(true, 14, 6), outcome.ResponseOnset);
        Assert.Null(outcome.FirstRemission);
        Assert.False(outcome.RemissionEver);
    }

    [Theory]
    [InlineData(15, 8, false)]
    [InlineData(15, 7, true)]
    [InlineData(10, 5, true)]
    [InlineData(10, 6, false)]
    [InlineData(27, 13, true)]
    [InlineData(27, 14, false)]
    public void ResponseThreshold_IsADropOfAtLeastHalf(int baseline, int followUp, bool responded)
    {
        var outcome = new TestCourse().Sessions(0).Score(-1, baseline).Score(7, followUp).Derive();

        Assert.Equal(responded, outcome.FirstResponse is not null);
    }

    [Fact]
    public void StricterFractionFromDefinitions_Needs60Percent()
    {
        var definitions = new OutcomeDefinitions { ResponseMinimumDropFraction = 0.6 };
        var course = new TestCourse().Sessions(0).Score(-1, 20).Score(7, 9).Score(14, 8);

        Assert.Equal(14, course.Derive(definitions).FirstResponse!.Value.Day);
        Assert.Equal(7, course.Derive().FirstResponse!.Value.Day);
    }

    [Fact]
    public void FractionLandingBelowAnInteger_StillCountsTheBoundary()
    {
        // 10 x (1 - 0.7) is 3.0000000000000004 and 10 x (1 - 0.3) is 7.000000000000001 in binary floating point.
        var course = new TestCourse().Sessions(0).Score(-1, 10).Score(7, 3);
        var loose = new TestCourse().Sessions(0).Score(-1, 10).Score(7, 7);

        Assert.NotNull(course.Derive(new OutcomeDefinitions { ResponseMinimumDropFraction = 0.7 }).FirstResponse);
        Assert.NotNull(loose.Derive(new OutcomeDefinitions { ResponseMinimumDropFraction = 0.3 }).FirstResponse);
        Assert.Null(new TestCourse().Sessions(0).Score(-1, 10).Score(7, 4)
            .Derive(new OutcomeDefinitions { ResponseMinimumDropFraction = 0.7 }).FirstResponse);
    }

    [Fact]
    public void TotalBelow5_Remission()
    {
        var outcome = new TestCourse().Sessions(0, 2, 4).Score(-1, 18).Score(5, 5).Score(12, 4).Derive();

        Assert.Equal(new Milestone(12, 3, 4), outcome.FirstRemission);
        Assert.True(outcome.RemissionEver);
        Assert.Equal(5, outcome.FirstResponse!.Value.Day);
    }

    [Fact]
    public void NonResponder_CensoredAtLastAssessmentNotAtCourseEnd()
    {
        var outcome = new TestCourse().Sessions(0, 2, 4, 7, 9, 11).Score(-1, 20).Score(7, 15).Score(21, 12).Ended(30).Derive();

        Assert.Equal(new ResponseOnset(false, 21, 6), outcome.ResponseOnset);
        Assert.Null(outcome.FirstResponse);
        Assert.Null(outcome.LossOfResponse);
        Assert.False(outcome.SustainedResponse);
    }

    [Fact]
    public void NonResponderWithCourseEndCensoring_CensoredAtTheLaterCourseEnd()
    {
        var definitions = new OutcomeDefinitions { NonResponderCensoring = NonResponderCensoring.LaterOfLastAssessmentAndCourseEnd };
        var course = new TestCourse().Sessions(0, 2, 4, 25).Score(-1, 20).Score(7, 15).Score(21, 12);

        Assert.Equal(new ResponseOnset(false, 30, 4), course.Ended(30).Derive(definitions).ResponseOnset);
        Assert.Equal(new ResponseOnset(false, 21, 3), new TestCourse().Sessions(0, 2, 4, 25).Score(-1, 20).Score(21, 12)
            .Derive(definitions).ResponseOnset);
    }

    [Fact]
    public void NonResponderWithoutFollowUp_CensoredAtTheOrigin()
    {
        var outcome = new TestCourse().Sessions(0).Score(-2, 17).Ended(1, CourseEndReason.LostToFollowUp).Derive();

        Assert.Equal(new ResponseOnset(false, 0, 0), outcome.ResponseOnset);
        Assert.False(outcome.ResponseByEndOfInduction);
        Assert.Null(outcome.ChangeFromBaseline);
        Assert.Null(outcome.ReliableImprovement);
    }

    [Theory]
    [InlineData(40, true)]
    [InlineData(42, true)]
    [InlineData(43, false)]
    public void ResponseByEndOfInduction_OnsetWithin42Days(int onsetDay, bool expected)
    {
        var outcome = new TestCourse().Sessions(0, 2, 4).Score(-1, 20).Score(onsetDay, 6).Derive();

        Assert.Equal(expected, outcome.ResponseByEndOfInduction);
    }

    [Fact]
    public void ResponseByEndOfInduction_WindowFromDefinitions()
    {
        var outcome = new TestCourse().Sessions(0).Score(-1, 20).Score(30, 6).Derive(new OutcomeDefinitions { InductionWindowDays = 28 });

        Assert.False(outcome.ResponseByEndOfInduction);
    }

    [Fact]
    public void NonResponderStillInsideWindow_ResponseByEndOfInductionUnknown()
    {
        var course = new TestCourse().Sessions(0, 2, 4).Score(-1, 20).Score(7, 14);

        Assert.Null(course.Derive(asOf: TestCourse.At(20, 0)).ResponseByEndOfInduction);
        Assert.False(course.Derive(asOf: TestCourse.At(42, 0)).ResponseByEndOfInduction);
        Assert.False(course.Ended(10).Derive(asOf: TestCourse.At(20, 0)).ResponseByEndOfInduction);
    }

    [Fact]
    public void ResponseThenLossThenReResponse_OnsetIsTheFirst()
    {
        var outcome = new TestCourse().Sessions(0, 2, 4, 28).Score(-1, 20).Score(7, 8).Score(14, 15).Score(21, 16).Score(30, 5).Derive();

        Assert.Equal(new ResponseOnset(true, 7, 3), outcome.ResponseOnset);
        Assert.Equal(new DurabilityTime(true, 7, 14, 3), outcome.LossOfResponse);
    }
}
