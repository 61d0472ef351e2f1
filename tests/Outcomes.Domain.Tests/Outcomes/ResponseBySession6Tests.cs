using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Domain.Safety;

namespace Outcomes.Domain.Tests.Outcomes;

/// Response by session 6: decided at the first PHQ-9 taken after the sixth session (SessionReview), the same
/// assessment that decides the non-response safety signal.
public class ResponseBySession6Tests
{
    private static readonly RateContext Context = new(42, TestCourse.FarFuture.UtcTicks / TimeSpan.TicksPerDay);

    private static bool? Of(CourseOutcome outcome) => Measures.ResponseBySession6.Of(outcome, Context);

    // Six sessions on days 0, 2, 4, 7, 9, 11; PHQ-9s at 09:00, so a score on day 11 comes before its session.
    private static TestCourse Six(int baseline = 20) => new TestCourse().Sessions(0, 2, 4, 7, 9, 11).Score(-1, baseline);

    [Fact]
    public void ResponseAtTheDecidingAssessment_Counts()
    {
        var outcome = Six().Score(7, 14).Score(12, 10).Derive();

        Assert.Equal(12, outcome.FirstResponse!.Value.Day);
        Assert.True(Of(outcome));
    }

    [Fact]
    public void ResponseOnlyAfterTheDecidingAssessment_DoesNotCount()
    {
        var outcome = Six().Score(12, 14).Score(14, 10).Derive();

        Assert.NotNull(outcome.FirstResponse);
        Assert.False(Of(outcome));
    }

    [Fact]
    public void ResponseBeforeSession6_CountsWithoutALaterAssessment()
    {
        var outcome = new TestCourse().Sessions(0, 2, 4).Score(-1, 20).Score(5, 9).Derive();

        Assert.True(Of(outcome));
    }

    [Fact]
    public void ScoreTakenBeforeTheSixthSessionOnItsDay_DoesNotDecide()
    {
        // Day 11 at 09:00 is before the sixth session at 10:00: five sessions received, so still undecided.
        var undecided = Six().Score(11, 15).Derive();
        // The same day after the session decides.
        var decided = Six().Score(11, 15, hour: 11).Derive();

        Assert.Null(Of(undecided));
        Assert.False(Of(decided));
    }

    [Fact]
    public void CourseEndedBeforeTheDecidingAssessment_IsANonResponder()
    {
        var outcome = new TestCourse().Sessions(0, 2).Score(-1, 20).Score(3, 18).Ended(4, CourseEndReason.LostToFollowUp).Derive();

        Assert.False(Of(outcome));
    }

    [Fact]
    public void OngoingUndecided_IsNotCounted_AndIneligible_IsOutsideTheDenominator()
    {
        var ongoing = new TestCourse().Sessions(0, 2, 4, 7).Score(-1, 20).Score(5, 16).Derive();
        var ineligible = Six(baseline: 8).Score(12, 2).Derive();

        Assert.Null(Of(ongoing));
        Assert.False(ineligible.Eligible);
        Assert.Null(Of(ineligible));
    }

    [Fact]
    public void DecidingAssessment_IsTheOneTheNonResponseSignalIsRaisedAt()
    {
        var facts = Six().Score(7, 19).Score(12, 18).Score(14, 9).Facts();
        var outcome = CourseOutcome.Derive(facts, OutcomeDefinitions.Default, TestCourse.FarFuture);
        var signal = SafetySignal.Derive(new CourseKey("clinic-a", "pk-1", 1), facts, outcome)
            .Single(s => s.Kind == SignalKind.NonResponseBySession6);

        var deciding = SessionReview.DecidingAssessment(outcome.SeriesSpan(), SessionReview.BaselineIndex(outcome));
        Assert.Equal(outcome.Series[deciding].OccurredAt, signal.AssessmentAt);
        Assert.False(Of(outcome));
    }
}
