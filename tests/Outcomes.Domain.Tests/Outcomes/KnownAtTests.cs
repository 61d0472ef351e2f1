using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using static Outcomes.Domain.Tests.Outcomes.TestCourse;

namespace Outcomes.Domain.Tests.Outcomes;

/// The stored outcome read model derives each course once from all its facts and stamps the report's moment
/// later; that must give exactly what deriving as of that moment gives.
public class KnownAtTests
{
    [Fact]
    public void StoredOutcomeStampedLater_EqualsDerivationAsOfThatMoment()
    {
        var random = new Random(20261126);
        int unknownInWindow = 0, compared = 0;
        for (var c = 0; c < 400; c++)
        {
            var facts = OrderIndependenceTests.RandomCourse(random);
            var latest = LatestFact(facts);
            var stored = CourseOutcome.Derive(facts, OutcomeDefinitions.Default, DateTimeOffset.MaxValue);
            foreach (var days in new[] { 0, 3, 20, 41, 42, 43, 200 })
            {
                var asOf = latest.AddDays(days);
                var expected = CourseOutcome.Derive(facts, OutcomeDefinitions.Default, asOf);
                Assert.Equal(OutcomeJson.Of(expected), OutcomeJson.Of(stored.KnownAt(asOf, OutcomeDefinitions.Default)));
                compared++;
                if (expected.Eligible && expected.ResponseByEndOfInduction is null) unknownInWindow++;
            }
        }
        Assert.Equal(2800, compared);
        // The clock-bound answer must actually have been exercised, not only the settled ones.
        Assert.True(unknownInWindow > 20, $"only {unknownInWindow} outcomes were still inside the window");
    }

    [Fact]
    public void OngoingUnansweredCourse_UnknownInsideWindowThenNonResponder()
    {
        var course = new TestCourse().Enrolled(-3).Score(-1, 20).Sessions(0, 2, 5).Score(6, 18);
        var stored = course.Derive(asOf: DateTimeOffset.MaxValue);
        Assert.Equal(false, stored.ResponseByEndOfInduction);
        Assert.Null(stored.KnownAt(At(41, 23), OutcomeDefinitions.Default).ResponseByEndOfInduction);
        Assert.Equal(false, stored.KnownAt(At(42, 0), OutcomeDefinitions.Default).ResponseByEndOfInduction);
        Assert.Equal(At(41, 23), stored.KnownAt(At(41, 23), OutcomeDefinitions.Default).AsOf);
    }

    private static DateTimeOffset LatestFact(CourseFacts facts)
    {
        var times = facts.Sessions.Select(s => s.OccurredAt).Concat(facts.Scores.Select(s => s.OccurredAt));
        if (facts.Enrolment is not null) times = times.Append(facts.Enrolment.OccurredAt);
        if (facts.Ended is not null) times = times.Append(facts.Ended.OccurredAt);
        return times.DefaultIfEmpty(DayZero).Max();
    }
}
