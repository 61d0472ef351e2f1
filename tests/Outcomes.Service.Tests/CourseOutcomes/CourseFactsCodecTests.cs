using System.Text.Json;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.CourseOutcomes;
using Route = Outcomes.Domain.Courses.Route;

namespace Outcomes.Service.Tests.CourseOutcomes;

/// An export at the latest position reads the stored facts instead of the events, and its files must not change by
/// a byte: every value has to come back exactly (offsets, dose scales, total-only scores, facts out of time order).
public sealed class CourseFactsCodecTests
{
    private static readonly DateTimeOffset DayZero = new(2025, 5, 6, 9, 30, 0, TimeSpan.FromHours(2));

    private static string Json(CourseFacts facts) => JsonSerializer.Serialize(new
    {
        Enrolment = facts.Enrolment is { } e ? new { At = e.OccurredAt.ToString("O"), e.AgeBand, e.Sex, e.DiagnosisGroup, e.PriorFailedTrials, e.Modality, e.EnrolmentYear } : null,
        Sessions = facts.Sessions.Select(s => new { At = s.OccurredAt.ToString("O"), s.Modality, Dose = s.Dose.ToString(System.Globalization.CultureInfo.InvariantCulture), s.DoseUnit, s.Route }),
        Scores = facts.Scores.Select(p => new { At = p.OccurredAt.ToString("O"), p.Score.Total, p.Score.Items }),
        Ended = facts.Ended is { } end ? new { At = end.OccurredAt.ToString("O"), end.Reason } : null,
    });

    [Fact]
    public void EveryValue_SurvivesTheRoundTrip()
    {
        var facts = new CourseFacts(
            new PatientEnrolled(DayZero.AddDays(-3), AgeBand.From90, Sex.Unknown, DiagnosisGroup.BipolarDepression, 12, Modality.IntranasalEsketamine, 2025),
            [
                new TreatmentSessionGiven(DayZero.AddDays(7), Modality.IvKetamine, 0.50m, DoseUnit.MilligramsPerKilogram, Route.Intravenous),
                // Before the one above: stored in canonical order, not as given.
                new TreatmentSessionGiven(DayZero.ToOffset(TimeSpan.FromHours(-9.5)), Modality.IntranasalEsketamine, 84m, DoseUnit.Milligrams, Route.Intranasal),
                new TreatmentSessionGiven(DayZero.AddDays(14).AddTicks(1), Modality.IvKetamine, -0.0001m, DoseUnit.MilligramsPerKilogram, Route.Intravenous),
                new TreatmentSessionGiven(DayZero.AddDays(21), Modality.IvKetamine, 79228162514264337593543950335m, DoseUnit.Milligrams, Route.Intravenous),
            ],
            [
                new Phq9Completed(DayZero.AddDays(-1), new Phq9Score(19, [3, 3, 2, 2, 2, 2, 2, 2, 1])),
                new Phq9Completed(DayZero.AddDays(8), new Phq9Score(27, null)),
                new Phq9Completed(DateTimeOffset.MinValue.AddDays(1), new Phq9Score(0, [0, 0, 0, 0, 0, 0, 0, 0, 0])),
            ],
            new CourseEnded(DayZero.AddDays(30).ToOffset(TimeSpan.FromMinutes(345)), CourseEndReason.LostToFollowUp));

        var decoded = CourseFactsCodec.Decode(CourseFactsCodec.Encode(facts));

        Assert.Equal(Json(facts.InCanonicalOrder()), Json(decoded));
        Assert.Equal("0.50", decoded.Sessions[1].Dose.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(TimeSpan.FromHours(-9.5), decoded.Sessions[0].OccurredAt.Offset);
        Assert.True(decoded.Scores[2].Score.IsTotalOnly);
    }

    [Fact]
    public void SameFactsInAnyOrder_SameBytes()
    {
        // Ingestion holds a course in time order, a rebuild in stream order; ties at one instant included.
        var at = DayZero.AddDays(2);
        TreatmentSessionGiven[] sessions =
        [
            new(at, Modality.IvKetamine, 0.5m, DoseUnit.MilligramsPerKilogram, Route.Intravenous),
            new(at, Modality.IvKetamine, 0.50m, DoseUnit.MilligramsPerKilogram, Route.Intravenous),
            new(at, Modality.IvKetamine, 0.5m, DoseUnit.Milligrams, Route.Intravenous),
            new(at.AddDays(-1), Modality.OralKetamine, 50m, DoseUnit.Milligrams, Route.Oral),
        ];
        Phq9Completed[] scores =
        [
            new(at, new Phq9Score(9, null)),
            new(at, new Phq9Score(9, [1, 1, 1, 1, 1, 1, 1, 1, 1])),
            new(at.AddDays(-3), new Phq9Score(20, null)),
        ];
        var random = new Random(3);
        var first = CourseFactsCodec.Encode(new CourseFacts(null, sessions, scores, null));

        for (var i = 0; i < 20; i++)
        {
            var shuffled = new CourseFacts(null, [.. sessions.OrderBy(_ => random.Next())], [.. scores.OrderBy(_ => random.Next())], null);
            Assert.Equal(first, CourseFactsCodec.Encode(shuffled));
        }
    }

    [Fact]
    public void ACourseWithoutFacts_RoundTrips()
    {
        var empty = new CourseFacts(null, [], [], null);

        var decoded = CourseFactsCodec.Decode(CourseFactsCodec.Encode(empty));

        Assert.Equal(Json(empty), Json(decoded));
    }

    [Fact]
    public void AnotherLayout_IsRefused_WithWhatToDo()
    {
        var row = CourseFactsCodec.Encode(new CourseFacts(null, [], [], null));
        row[0] = CourseFactsCodec.Layout + 1;

        var error = Assert.Throws<InvalidDataException>(() => CourseFactsCodec.Decode(row));

        Assert.Contains("rebuild the outcome read model", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => CourseFactsCodec.Decode([]));
    }
}
