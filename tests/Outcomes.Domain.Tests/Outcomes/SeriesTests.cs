using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using static Outcomes.Domain.Tests.Outcomes.TestCourse;

namespace Outcomes.Domain.Tests.Outcomes;

public class SeriesTests
{
    [Fact]
    public void Series_OrderedWithDaysSessionsBandsAndItem9()
    {
        var outcome = new TestCourse()
            .Sessions(0, 2, 4, 7, 9, 11)
            .Score(14, 4, item9: 0)
            .TotalOnly(7, 11)
            .Score(-3, 21, item9: 2)
            .Derive();

        Assert.Equal([-3, 7, 14], outcome.Series.Select(a => a.Day!.Value));
        // The day-7 score at 09:00 precedes the day-7 session at 10:00.
        Assert.Equal([0, 3, 6], outcome.Series.Select(a => a.SessionsReceived));
        Assert.Equal([Phq9Severity.Severe, Phq9Severity.Moderate, Phq9Severity.Minimal], outcome.Series.Select(a => a.Severity));
        Assert.Equal([false, true, false], outcome.Series.Select(a => a.IsTotalOnly));
        Assert.Equal([2, null, 0], outcome.Series.Select(a => a.Item9));
        Assert.Equal(14, outcome.LastAssessmentDay);
        Assert.Equal(6, outcome.SessionsReceived);
        Assert.Equal(At(0, 10), outcome.FirstSessionAt);
    }

    [Fact]
    public void DaysAreUtcCalendarDays_LateEveningElsewhereCanBeTheNextUtcDay()
    {
        var eveningInNewYork = new DateTimeOffset(2024, 3, 10, 21, 0, 0, TimeSpan.FromHours(-5));
        var outcome = new TestCourse().Sessions(0).Score(-1, 20).ScoreAt(eveningInNewYork, Items(9, 0)).Derive();

        Assert.Equal(7, outcome.Series[^1].Day);
    }

    [Fact]
    public void SessionsOutOfOrder_FirstSessionIsTheEarliest()
    {
        var outcome = new TestCourse().Sessions(9, 2, 0, 4).Score(-1, 20).Score(3, 12).Derive();

        Assert.Equal(At(0, 10), outcome.FirstSessionAt);
        Assert.Equal(2, outcome.Series[1].SessionsReceived);
    }

    [Fact]
    public void CourseThatEnded_EndDayAndReason()
    {
        var outcome = new TestCourse().Sessions(0, 2).Score(-1, 20).Score(6, 15).Ended(20, CourseEndReason.LostToFollowUp).Derive();

        Assert.True(outcome.CourseEnded);
        Assert.Equal(CourseEndReason.LostToFollowUp, outcome.EndReason);
        Assert.Equal(20, outcome.CourseEndDay);
    }

    [Fact]
    public void OngoingCourse_NotEnded()
    {
        var outcome = new TestCourse().Sessions(0).Score(-1, 20).Derive();

        Assert.False(outcome.CourseEnded);
        Assert.Null(outcome.EndReason);
        Assert.Null(outcome.CourseEndDay);
    }

    [Fact]
    public void FactsAfterAsOf_AreIgnored()
    {
        var course = new TestCourse().Sessions(0, 2, 30).Score(-1, 20).Score(7, 14).Score(35, 6).Ended(40);

        var outcome = course.Derive(asOf: At(20, 0));

        Assert.Equal(2, outcome.SessionsReceived);
        Assert.Equal(2, outcome.Series.Count);
        Assert.False(outcome.CourseEnded);
        Assert.Equal(new ResponseOnset(false, 7, 2), outcome.ResponseOnset);
        Assert.Equal(At(20, 0), outcome.AsOf);
        Assert.Equal(35, course.Derive().ResponseOnset!.Value.Day);
    }

    [Fact]
    public void Result_CarriesTheDefinitionsIdAndVersion()
    {
        var definitions = new OutcomeDefinitions { Id = "sustain-relapse", Version = "outcomes-v2" };

        var outcome = new TestCourse().Sessions(0).Score(-1, 20).Derive(definitions);

        Assert.Equal("sustain-relapse", outcome.DefinitionsId);
        Assert.Equal("outcomes-v2", outcome.DefinitionsVersion);
    }

    [Fact]
    public void EventObjectsInAnyOrder_SameAsTypedFacts()
    {
        var course = new TestCourse().Enrolled(-3).Sessions(0, 2, 4).Score(-1, 18).Score(5, 8).Ended(30);
        var facts = course.Facts();
        var events = new List<object> { facts.Ended!, "an event this engine does not read" };
        events.AddRange(facts.Scores);
        events.Add(facts.Enrolment!);
        events.AddRange(facts.Sessions.Reverse());

        var fromEvents = CourseOutcome.Derive(events, OutcomeDefinitions.Default, FarFuture);

        Assert.Equal(OutcomeJson.Of(course.Derive()), OutcomeJson.Of(fromEvents));
        Assert.True(fromEvents.EnrolmentKnown);
        Assert.True(fromEvents.CourseEnded);
    }

    [Fact]
    public void SeveralEndFacts_TheLatestCounts()
    {
        var facts = CourseFacts.From([
            new CourseEnded(At(40, 0), CourseEndReason.Completed),
            new CourseEnded(At(20, 0), CourseEndReason.LostToFollowUp),
        ]);

        Assert.Equal(CourseEndReason.Completed, facts.Ended!.Reason);
    }
}
