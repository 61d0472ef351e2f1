using System.Text.Json;
using Outcomes.Domain.Courses;
using static Outcomes.Domain.Tests.Outcomes.TestCourse;

namespace Outcomes.Domain.Tests.Courses;

public sealed class PatientCourseTests
{
    private static readonly CourseKey Key = new("clinic-a", "pk-0001", 1);

    private static (Guid Id, object Fact)[] Facts() =>
    [
        (Guid.Parse("00000000-0000-0000-0000-000000000001"),
            new PatientEnrolled(At(0, 9), AgeBand.From25To34, Sex.Female, DiagnosisGroup.TreatmentResistantDepression, 2, Modality.IvKetamine, 2024)),
        (Guid.Parse("00000000-0000-0000-0000-000000000002"),
            new PatientEnrolled(At(-3, 9), AgeBand.From25To34, Sex.Female, DiagnosisGroup.TreatmentResistantDepression, 3, Modality.IvKetamine, 2024)),
        (Guid.Parse("00000000-0000-0000-0000-000000000003"), new TreatmentSessionGiven(At(1, 10), Modality.IvKetamine, 0.5m, DoseUnit.MilligramsPerKilogram, Route.Intravenous)),
        (Guid.Parse("00000000-0000-0000-0000-000000000004"), new TreatmentSessionGiven(At(1, 10), Modality.IvKetamine, 0.75m, DoseUnit.MilligramsPerKilogram, Route.Intravenous)),
        (Guid.Parse("00000000-0000-0000-0000-000000000005"), new Phq9Completed(At(0, 10), Items(21, 1))),
        (Guid.Parse("00000000-0000-0000-0000-000000000006"), new Phq9Completed(At(7, 10), new Phq9Score(9, null))),
        (Guid.Parse("00000000-0000-0000-0000-000000000007"), new CourseEnded(At(40, 0), CourseEndReason.Completed)),
        (Guid.Parse("00000000-0000-0000-0000-000000000008"), new CourseEnded(At(20, 0), CourseEndReason.LostToFollowUp)),
    ];

    private static string StateAfter(IEnumerable<(Guid Id, object Fact)> facts)
    {
        var course = PatientCourse.Open(Key);
        foreach (var (id, fact) in facts) Assert.True(course.Apply(id, fact));
        return JsonSerializer.Serialize(course);
    }

    [Fact]
    public void AnyArrivalOrder_TheSameState()
    {
        var inOrder = StateAfter(Facts());

        Assert.Equal(inOrder, StateAfter(Facts().Reverse()));
        Assert.Equal(inOrder, StateAfter(Facts().OrderBy(f => f.Fact.GetType().Name).ThenByDescending(f => f.Id)));
    }

    [Fact]
    public void SeveralEnrolmentsAndEnds_TheEarliestEnrolmentAndTheLatestEndStand()
    {
        var course = PatientCourse.Open(Key);
        foreach (var (id, fact) in Facts()) course.Apply(id, fact);

        Assert.Equal(At(-3, 9), course.Enrolment!.EnrolledAt);
        Assert.Equal(CourseEndReason.Completed, course.Ended!.Reason);
        Assert.Equal(8, course.FactCount);
        Assert.Equal(At(40, 0), course.LastFactAt);
        Assert.Equal([0.5m, 0.75m], course.Sessions.Select(s => s.Dose));
        Assert.Equal(course.Enrolment.AsFact(), course.Facts.Enrolment);
        Assert.Equal(2, course.Facts.Scores.Count);
    }

    [Fact]
    public void NotACourseFact_Ignored()
    {
        var course = PatientCourse.Open(Key);

        Assert.False(course.Apply(Guid.NewGuid(), "an export audit entry"));
        Assert.Equal(0, course.FactCount);
    }
}
