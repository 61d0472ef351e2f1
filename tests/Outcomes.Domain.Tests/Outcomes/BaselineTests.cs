using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using static Outcomes.Domain.Tests.Outcomes.TestCourse;

namespace Outcomes.Domain.Tests.Outcomes;

public class BaselineTests
{
    [Fact]
    public void SeveralPreTreatmentScores_BaselineIsTheLastOnOrBeforeFirstSession()
    {
        var outcome = new TestCourse().Sessions(0, 3).Score(-10, 22).Score(-3, 18).Score(0, 17).Score(7, 8).Derive();

        Assert.Equal(17, outcome.Baseline!.Value.Total);
        Assert.Equal(0, outcome.Baseline.Value.Day);
        Assert.Equal(0, outcome.Baseline.Value.SessionsReceived);
        Assert.Null(outcome.NoBaselineReason);
    }

    [Fact]
    public void ScoreExactly14DaysBefore_IsBaseline()
    {
        var outcome = new TestCourse().Sessions(0).Score(-14, 16, hour: 0.5).Derive();

        Assert.Equal(-14, outcome.Baseline!.Value.Day);
        Assert.Equal(16, outcome.Baseline.Value.Total);
    }

    [Fact]
    public void Score15DaysBefore_NoBaselineBecauseOutsideWindow()
    {
        var outcome = new TestCourse().Sessions(0).Score(-15, 16, hour: 23.9).Score(5, 6).Derive();

        Assert.Null(outcome.Baseline);
        Assert.Equal(NoBaselineReason.NoScoreInWindow, outcome.NoBaselineReason);
        Assert.False(outcome.Eligible);
        Assert.Null(outcome.ResponseOnset);
        Assert.Null(outcome.ChangeFromBaseline);
    }

    [Fact]
    public void WiderWindowFromDefinitions_Score15DaysBeforeBecomesBaseline()
    {
        var outcome = new TestCourse().Sessions(0).Score(-15, 16).Derive(new OutcomeDefinitions { BaselineWindowDays = 21 });

        Assert.Equal(-15, outcome.Baseline!.Value.Day);
    }

    [Fact]
    public void NoSessions_NoBaselineAndNoDayAxis()
    {
        var outcome = new TestCourse().Enrolled(-5).Score(-2, 18).Score(3, 9).Derive();

        Assert.Equal(NoBaselineReason.NoSessions, outcome.NoBaselineReason);
        Assert.Null(outcome.FirstSessionAt);
        Assert.Equal(0, outcome.SessionsReceived);
        Assert.All(outcome.Series, a => Assert.Null(a.Day));
        Assert.Equal(2, outcome.Series.Count);
        Assert.Null(outcome.LastAssessmentDay);
        Assert.False(outcome.Eligible);
    }

    [Fact]
    public void SessionsButNoScores_NoScores()
    {
        var outcome = new TestCourse().Sessions(0, 2, 4).Derive();

        Assert.Equal(NoBaselineReason.NoScores, outcome.NoBaselineReason);
        Assert.Empty(outcome.Series);
        Assert.Equal(3, outcome.SessionsReceived);
    }

    [Fact]
    public void OnlyPostTreatmentScores_NoBaseline()
    {
        var outcome = new TestCourse().Sessions(0, 2).Score(0, 18, hour: 14).Score(7, 9).Derive();

        Assert.Equal(NoBaselineReason.OnlyPostTreatmentScores, outcome.NoBaselineReason);
    }

    [Fact]
    public void ScoreAtTheSameInstantAsFirstSession_IsBaselineTakenBeforeIt()
    {
        var outcome = new TestCourse().Sessions(0).Score(0, 18, hour: 10).Derive();

        Assert.Equal(18, outcome.Baseline!.Value.Total);
        Assert.Equal(0, outcome.Baseline.Value.SessionsReceived);
    }

    [Fact]
    public void PreAndPostInfusionScoresOnDayZero_AreBaselineAndFirstFollowUp()
    {
        var outcome = new TestCourse().Sessions(0, 2).Score(0, 20, hour: 9).Score(0, 9, hour: 14).Derive();

        Assert.Equal(20, outcome.Baseline!.Value.Total);
        Assert.Equal(2, outcome.Series.Count);
        Assert.Equal(0, outcome.SupersededSameDayScores);
        Assert.Equal(new Milestone(0, 1, 9), outcome.FirstResponse);
    }

    [Fact]
    public void SeveralScoresOnOneDay_TheLastByTimeOfDayCounts()
    {
        var outcome = new TestCourse().Sessions(0).Score(-2, 15, hour: 8).Score(-2, 19, hour: 18).Score(-2, 12, hour: 11).Derive();

        Assert.Equal(19, outcome.Baseline!.Value.Total);
        Assert.Single(outcome.Series);
        Assert.Equal(2, outcome.SupersededSameDayScores);
    }

    [Fact]
    public void TwoScoresWithTheSameTimestamp_ItemisedBeatsTotalOnlyWhateverTheOrder()
    {
        var at = At(-1, 9);
        var itemised = new Phq9Completed(at, Items(14, 1));
        var totalOnly = new Phq9Completed(at, Phq9Score.Create(null, 20).Score!);
        var sessions = new[] { new TreatmentSessionGiven(At(0, 10), Modality.IvKetamine, 0.5m, DoseUnit.MilligramsPerKilogram, Route.Intravenous) };

        foreach (var scores in new[] { new[] { itemised, totalOnly }, new[] { totalOnly, itemised } })
        {
            var outcome = CourseOutcome.Derive(new CourseFacts(null, sessions, scores, null), OutcomeDefinitions.Default, FarFuture);
            Assert.Equal(14, outcome.Baseline!.Value.Total);
            Assert.False(outcome.Baseline.Value.IsTotalOnly);
        }
    }

    [Fact]
    public void TwoItemisedScoresWithTheSameTimestamp_HigherTotalCountsWhateverTheOrder()
    {
        var first = new TestCourse().Sessions(0).Score(-1, 12).Score(-1, 16).Derive();
        var second = new TestCourse().Sessions(0).Score(-1, 16).Score(-1, 12).Derive();

        Assert.Equal(16, first.Baseline!.Value.Total);
        Assert.Equal(16, second.Baseline!.Value.Total);
    }

    [Fact]
    public void BaselineOf9_IneligibleAndNoResponseOutcomes()
    {
        var outcome = new TestCourse().Sessions(0, 2).Score(-1, 9).Score(7, 2).Derive();

        Assert.Equal(9, outcome.Baseline!.Value.Total);
        Assert.False(outcome.Eligible);
        Assert.Null(outcome.FirstResponse);
        Assert.Null(outcome.FirstRemission);
        Assert.Null(outcome.ResponseOnset);
        Assert.Null(outcome.Durability);
        Assert.Null(outcome.RemissionEver);
        Assert.Null(outcome.ResponseByEndOfInduction);
        Assert.Equal(-7, outcome.ChangeFromBaseline);
        Assert.True(outcome.ReliableImprovement);
    }

    [Fact]
    public void BaselineOf10_Eligible()
    {
        var outcome = new TestCourse().Sessions(0).Score(-1, 10).Derive();

        Assert.True(outcome.Eligible);
        Assert.Equal(new ResponseOnset(false, 0, 0), outcome.ResponseOnset);
    }

    [Fact]
    public void ZeroTotalBaseline_IneligibleAndWorseningIsNotImprovement()
    {
        var outcome = new TestCourse().Sessions(0).Score(-1, 0).Score(7, 3).Derive();

        Assert.False(outcome.Eligible);
        Assert.Equal(3, outcome.ChangeFromBaseline);
        Assert.False(outcome.ReliableImprovement);
        Assert.False(outcome.MinimalClinicallyImportantImprovement);
        Assert.Null(outcome.FirstResponse);
    }

    [Fact]
    public void TotalOnlyBaseline_EligibleWithItem9Unknown()
    {
        var outcome = new TestCourse().Sessions(0).TotalOnly(-1, 18).Score(7, 8).Derive();

        Assert.True(outcome.Eligible);
        Assert.True(outcome.Baseline!.Value.IsTotalOnly);
        Assert.Null(outcome.Item9.BaselineItem9);
        Assert.Null(outcome.Item9.PositiveAtBaseline);
        Assert.Equal(7, outcome.FirstResponse!.Value.Day);
    }

    [Fact]
    public void ScoresBeforeTheEnrolmentIsKnown_SameOutcomesAsWithIt()
    {
        var without = new TestCourse().Sessions(0, 3).Score(-4, 19).Score(7, 6).Derive();
        var with = new TestCourse().Enrolled(0).Sessions(0, 3).Score(-4, 19).Score(7, 6).Derive();

        Assert.False(without.EnrolmentKnown);
        Assert.True(with.EnrolmentKnown);
        Assert.Equal(with.Baseline, without.Baseline);
        Assert.Equal(with.ResponseOnset, without.ResponseOnset);
        Assert.Equal(19, without.Baseline!.Value.Total);
    }

    [Fact]
    public void BaselineDatedBeforeEnrolment_StillTheBaseline()
    {
        var outcome = new TestCourse().Enrolled(2).Sessions(3).Score(-6, 21).Derive();

        Assert.Equal(21, outcome.Baseline!.Value.Total);
        Assert.Equal(-9, outcome.Baseline.Value.Day);
        Assert.True(outcome.EnrolmentKnown);
    }
}
