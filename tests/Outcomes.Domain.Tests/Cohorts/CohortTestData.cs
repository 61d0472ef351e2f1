using System.Text.Json;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Domain.Tests.Outcomes;

namespace Outcomes.Domain.Tests.Cohorts;

/// Cohorts for the report tests: courses built on TestCourse's day axis, enrolled with chosen attributes.
internal static class CohortTestData
{
    public static readonly DateTimeOffset AsOf = TestCourse.FarFuture;
    public static readonly ReportProvenance Provenance = new("default", "outcomes-v1", 4242, AsOf);

    public static ReportDefinition Definition(CohortDimension? groupBy = null, ReportOptions? options = null) => new()
    {
        Name = "test-report",
        Version = "1",
        Title = "Test report",
        GroupBy = groupBy,
        Options = options ?? new ReportOptions(),
    };

    public static CohortMember Member(
        TestCourse course, string patient,
        Modality modality = Modality.IvKetamine, int priorFailedTrials = 2, string clinic = "clinic-a",
        AgeBand ageBand = AgeBand.From35To44, Sex sex = Sex.Female, bool enrolled = true, DateTimeOffset? asOf = null)
    {
        var facts = course.Facts() with
        {
            Enrolment = enrolled
                ? new PatientEnrolled(TestCourse.At(-3, 8), ageBand, sex, DiagnosisGroup.TreatmentResistantDepression,
                    priorFailedTrials, modality, 2024)
                : null,
        };
        return CohortMember.From(new CourseKey(clinic, patient, 1), facts, OutcomeDefinitions.Default, asOf ?? AsOf);
    }

    /// Six courses whose every count is worked out by hand in CohortReportTests.
    public static IReadOnlyList<CohortMember> Six(DateTimeOffset? asOf = null) =>
    [
        // A: responds on day 14 after 6 sessions, remits on day 21, completes on day 30.
        Member(new TestCourse().Sessions(0, 2, 4, 7, 9, 11).Score(-1, 20).Score(7, 14).Score(14, 8).Score(21, 4)
            .Ended(30), "a", asOf: asOf),
        // B: 2 sessions, no response, lost to follow-up on day 10.
        Member(new TestCourse().Sessions(0, 3).Score(-2, 16).Score(5, 15).Ended(10, CourseEndReason.LostToFollowUp), "b",
            asOf: asOf),
        // C: one session, no PHQ-9: no baseline.
        Member(new TestCourse().Sessions(0), "c", asOf: asOf),
        // D: enrolled only.
        Member(new TestCourse(), "d", asOf: asOf),
        // E: mild baseline (not eligible), improves by 6.
        Member(new TestCourse().Sessions(0, 2, 4).Score(-1, 8).Score(7, 2), "e", asOf: asOf),
        // F: 8 sessions, item 9 positive at baseline and still positive at the end, no response.
        Member(new TestCourse().Sessions(0, 1, 2, 3, 4, 5, 6, 7).Score(0, 24, item9: 2).Score(10, 18).Score(20, 16)
            .Score(50, 15, item9: 1), "f", asOf: asOf),
    ];

    /// A seeded random cohort with realistic shapes: attrition, baselines around 18, about half responding.
    public static List<CohortMember> Random(int courses, int seed, int modalities = 3, DateTimeOffset? asOf = null) =>
        RandomCourses(courses, seed, modalities)
            .Select(c => CohortMember.From(c.Key, c.Facts, OutcomeDefinitions.Default, asOf ?? AsOf))
            .ToList();

    /// The facts behind Random, course by course.
    public static List<(CourseKey Key, CourseFacts Facts)> RandomCourses(int courses, int seed, int modalities = 3)
    {
        var random = new Random(seed);
        var result = new List<(CourseKey, CourseFacts)>(courses);
        for (var i = 0; i < courses; i++)
        {
            var course = new TestCourse();
            var sessions = random.NextDouble() < 0.1 ? 0 : 1 + random.Next(10);
            var days = Enumerable.Range(0, sessions).Select(s => s * 3 + random.Next(2)).Distinct().ToArray();
            course.Sessions(days);
            if (sessions > 0 && random.NextDouble() < 0.9)
            {
                var baseline = 6 + random.Next(21);
                course.Score(-1 - random.Next(3), baseline, Item9(baseline, random.NextDouble() < 0.2));
                var level = (double)baseline;
                var improving = random.NextDouble() < 0.6;
                for (var day = 4 + random.Next(4); day < days[^1] + 60; day += 5 + random.Next(6))
                {
                    level = Math.Clamp(level + (improving ? -2.2 : 0.3) + random.NextDouble() * 3 - 1.5, 0, 27);
                    var total = (int)Math.Round(level);
                    course.Score(day, total, Item9(total, random.NextDouble() < 0.1));
                    if (random.NextDouble() < 0.08) break;
                }
            }
            if (random.NextDouble() < 0.6) course.Ended(days.Length == 0 ? 1 : days[^1] + 3, (CourseEndReason)random.Next(4));
            var facts = course.Facts() with
            {
                Enrolment = new PatientEnrolled(TestCourse.At(-3, 8), AgeBand.From35To44, Sex.Female,
                    DiagnosisGroup.TreatmentResistantDepression, random.Next(5), (Modality)(i % modalities), 2024),
            };
            result.Add((new CourseKey($"clinic-{(char)('a' + i % 4)}", $"p{i:D5}", 1), facts));
        }
        return result;
    }

    // Items 1-8 hold at most 24, so a higher total forces item 9 up.
    private static int Item9(int total, bool positive) => Math.Max(positive && total > 0 ? 1 : 0, total - 24);

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public static string JsonOf<T>(T value) => JsonSerializer.Serialize(value, Json);
}
