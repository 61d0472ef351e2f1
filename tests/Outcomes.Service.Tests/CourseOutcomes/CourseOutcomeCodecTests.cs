using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.CourseOutcomes;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.CourseOutcomes;

/// The read model's binary rows must give back exactly the member the outcome engine derived, for every shape of
/// course: no sessions (no days), no baseline, total-only scores, item 9 unknown, same-day scores, ended or not.
public sealed class CourseOutcomeCodecTests
{
    private static readonly DateTimeOffset DayZero = new(2025, 5, 6, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void RandomCourses_DecodeToTheDerivedMember()
    {
        var random = new Random(20261126);
        var context = new CourseOutcomeCodec.DecodeContext();
        int eligible = 0, responders = 0, noSessions = 0;
        foreach (var definitions in new[] { OutcomeDefinitions.Default, new OutcomeDefinitions { Durability = DurabilityDefinition.Relapse } })
        {
            for (var c = 0; c < 500; c++)
            {
                var course = new CourseKey("clinic-" + (c % 3), $"pk{c:x8}zz", 1 + c % 2);
                var facts = RandomCourse(random);
                var storeTime = DayZero.AddDays(random.Next(0, 120)).AddHours(random.Next(0, 24));
                var row = CourseOutcomeRow.From(course, facts, 7, definitions);

                var decoded = CourseOutcomeCodec.Decode(context.Key(row.Course), row.Outcome, definitions, storeTime, context);

                var expected = CohortMember.AtPosition(course, facts, definitions, storeTime);
                Assert.Equal(Json(expected), Json(decoded));
                Assert.Equal(course, decoded.Course);
                if (expected.Outcome.Eligible) eligible++;
                if (expected.Outcome.FirstResponse is not null) responders++;
                if (expected.Outcome.FirstSessionAt is null) noSessions++;
            }
        }
        // The draw must exercise the interesting shapes, not only the common one.
        Assert.True(eligible > 200 && responders > 50 && noSessions > 20, $"eligible {eligible}, responders {responders}, no sessions {noSessions}");
    }

    [Fact]
    public void RowOfAnotherLayout_RefusedWithRebuildAdvice()
    {
        var row = CourseOutcomeRow.From(new CourseKey("clinic-a", "pk0000001zz", 1), RandomCourse(new Random(1)), 3, OutcomeDefinitions.Default);
        row.Outcome[0] = 1;

        var error = Assert.Throws<InvalidDataException>(() => CourseOutcomeCodec.Decode(
            new CourseKey("clinic-a", "pk0000001zz", 1), row.Outcome, OutcomeDefinitions.Default, DayZero, new CourseOutcomeCodec.DecodeContext()));
        Assert.Contains("rebuild", error.Message, StringComparison.Ordinal);
    }

    private static CourseFacts RandomCourse(Random random)
    {
        var sessions = Enumerable.Range(0, random.Next(0, 10))
            .Select(i => new TreatmentSessionGiven(DayZero.AddDays(random.Next(0, 40)).AddMinutes(random.Next(0, 600)), Modality.IvKetamine,
                0.5m, DoseUnit.MilligramsPerKilogram, Route.Intravenous))
            .ToArray();
        var scores = new List<Phq9Completed>();
        var total = random.Next(5, 28);
        var day = random.Next(-16, 2);
        for (var i = random.Next(0, 13); i > 0; i--)
        {
            var at = DayZero.AddDays(day).AddHours(random.Next(6, 20)).AddTicks(random.Next(0, 10_000_000));
            var item9 = Math.Clamp(random.Next(-2, 4), Math.Max(0, total - 24), Math.Min(3, total));
            var items = Enumerable.Repeat(0, 8).ToArray();
            for (var rest = total - item9; rest > 0; rest--) items[Array.FindIndex(items, v => v < 3)]++;
            scores.Add(new Phq9Completed(at, random.Next(5) == 0 ? new Phq9Score(total, null) : new Phq9Score(total, [.. items, item9])));
            total = Math.Clamp(total - random.Next(-3, 7), 0, 27);
            day += random.Next(0, 10);
        }
        var enrolment = random.Next(4) == 0 ? null
            : new PatientEnrolled(DayZero.AddDays(-5), AgeBand.From45To54, Sex.Female, DiagnosisGroup.TreatmentResistantDepression,
                random.Next(0, 6), (Modality)random.Next(0, 5), 2025);
        var ended = random.Next(2) == 0 ? null : new CourseEnded(DayZero.AddDays(random.Next(10, 90)), (CourseEndReason)random.Next(0, 4));
        return new CourseFacts(enrolment, sessions, scores, ended);
    }

    private static string Json(CohortMember member) => System.Text.Json.JsonSerializer.Serialize(member, IngestionFixture.ApiJson);
}
