using System.Text;
using System.Text.Json;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Ingestion;

namespace Outcomes.Service.Tests.Ingestion;

/// v1.fact-retracted without broker or database: the reader's rules, and the course recomputed without the retracted
/// fact by the projection exactly as a replay of the events computes it.
public sealed class RetractionReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private const string Self = "5f0c6a52-3a43-4f43-9a39-0f8e0c0a1b2c";
    private const string Other = "8d1e7b63-4b54-4a54-8b4a-1f9f1d1b2c3d";

    private static string Body(string retracted = Other, string extra = "") =>
        $$"""{"eventId":"{{Self}}","clinicId":"clinic-a","patientKey":"pk3f9a2b7c1d","occurredAt":"2026-03-05T10:00:00+01:00","retractedEventId":"{{retracted}}"{{extra}}}""";

    private static (CourseFact? Fact, Rejection? Rejection) Read(string body) =>
        ClinicEventReader.Read("v1.fact-retracted", Encoding.UTF8.GetBytes(body), Now);

    [Fact]
    public void ValidRetraction_TranslatedToStoredEventInUtc()
    {
        var (fact, rejection) = Read(Body());

        Assert.Null(rejection);
        Assert.Equal(new CourseKey("clinic-a", "pk3f9a2b7c1d", 1), fact!.Course);
        Assert.Equal("fact-retracted", fact.MessageType);
        var stored = Assert.IsType<Domain.Courses.FactRetracted>(fact.Event);
        Assert.Equal(Guid.Parse(Other), stored.RetractedEventId);
        Assert.Equal(new DateTimeOffset(2026, 3, 5, 9, 0, 0, TimeSpan.Zero), stored.OccurredAt);
        Assert.Equal(TimeSpan.Zero, stored.OccurredAt.Offset);
    }

    // The framework's own reading of the record (web defaults) takes every one of these bodies; the contract's reader
    // refuses each, naming the field and the rule.
    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000", "", "retractedEventId", "non-zero UUID")]
    [InlineData(Self, "", "retractedEventId", "another fact than the retraction itself")]
    [InlineData(Other, ",\"reason\":\"typo by Dr Smith\"", "reason", "unknown property")]
    [InlineData(Other, ",\"RetractedEventId\":\"" + Other + "\"", "RetractedEventId", "case-sensitive")]
    public void BadRetraction_AcceptedByAPlainReader_RefusedByTheContract(string retracted, string extra, string field, string rule)
    {
        var body = Body(retracted, extra);
        var naive = JsonSerializer.Deserialize<Contracts.FactRetracted>(body, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.NotNull(naive);

        var (fact, rejection) = Read(body);

        Assert.Null(fact);
        Assert.Equal(field, rejection!.Field);
        Assert.Contains(rule, rejection.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"retractedEventId\":\"" + Other + "\"", "", "retractedEventId", "is required")]
    [InlineData("\"retractedEventId\":\"" + Other + "\"", "\"retractedEventId\":\"John Smith\"", "retractedEventId", "UUID")]
    [InlineData("\"retractedEventId\":\"" + Other + "\"", "\"retractedEventId\":null", "retractedEventId", "")]
    public void RetractedEventIdMissingOrNotAUuid_Refused(string valid, string broken, string field, string rule)
    {
        var body = Body().Replace(valid, broken, StringComparison.Ordinal).Replace(",}", "}", StringComparison.Ordinal);

        var (fact, rejection) = Read(body);

        Assert.Null(fact);
        Assert.Equal(field, rejection!.Field);
        Assert.Contains(rule, rejection.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void WriterOutcomes_BecomeRefusalsNamingTheFieldAndRule()
    {
        var fact = Read(Body()).Fact!;

        Assert.Equal(("retractedEventId", ClinicEventReader.RetractsUnknownRule),
            (ClinicEventReader.Refusal(AppendOutcome.RetractsUnknown, fact)!.Field, ClinicEventReader.Refusal(AppendOutcome.RetractsUnknown, fact)!.Rule));
        Assert.Equal(ClinicEventReader.RetractsRetractionRule, ClinicEventReader.Refusal(AppendOutcome.RetractsRetraction, fact)!.Rule);
        Assert.Null(ClinicEventReader.Refusal(AppendOutcome.Stored, fact));
        Assert.Null(ClinicEventReader.Refusal(AppendOutcome.Duplicate, fact));
    }

    // ------------------------------------------------------------------ the course without the retracted fact

    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private const string Stream = "clinic-a/pk3f9a2b7c1d/1";

    private static PatientEnrolled Enrolled(int day, int priorFailedTrials) => new(Start.AddDays(day), AgeBand.From35To44, Sex.Female,
        DiagnosisGroup.TreatmentResistantDepression, priorFailedTrials, Modality.IvKetamine, Start.Year);

    private static TreatmentSessionGiven Session(int day) => new(Start.AddDays(day), Modality.IvKetamine, 0.5m, DoseUnit.MilligramsPerKilogram, Route.Intravenous);

    private static Phq9Completed Score(int day, int total) => new(Start.AddDays(day), new Phq9Score(total, null));

    private static PatientCourse Fold(IEnumerable<(Guid Id, object Fact)> events)
    {
        var course = PatientCourse.Open(CourseKey.Parse(Stream));
        foreach (var (id, fact) in events) course.Apply(id, fact);
        return course;
    }

    private static string Json(object value) => JsonSerializer.Serialize(value);

    [Fact]
    public void RetractedScoreSessionEnrolmentAndEnd_LeftOut_AsAReplayOfTheEventsLeavesThemOut()
    {
        var ids = Enumerable.Range(0, 10).Select(_ => Guid.NewGuid()).ToArray();
        List<(Guid, object)> events =
        [
            (ids[0], Enrolled(-3, 1)),
            (ids[1], Enrolled(-5, 4)),           // the earliest enrolment stands...
            (ids[2], Score(-1, 20)),
            (ids[3], Session(0)),
            (ids[4], Session(3)),
            (ids[5], Score(4, 8)),               // ...a response on day 4...
            (ids[6], new CourseEnded(Start.AddDays(20), CourseEndReason.Completed)),
            (ids[7], new CourseEnded(Start.AddDays(9), CourseEndReason.LostToFollowUp)),
        ];
        var before = Fold(events);
        Assert.Equal(4, before.Enrolment!.PriorFailedTrials);
        Assert.Equal(CourseEndReason.Completed, before.Ended!.Reason);

        events.Add((ids[8], new FactRetracted(Start.AddDays(21), ids[5])));   // ...was entered in error,
        events.Add((ids[9], new FactRetracted(Start.AddDays(21), ids[1])));   // as were the earliest enrolment,
        events.Add((Guid.NewGuid(), new FactRetracted(Start.AddDays(21), ids[6])));   // the later end,
        events.Add((Guid.NewGuid(), new FactRetracted(Start.AddDays(21), ids[4])));   // and a session.
        var after = Fold(events);

        Assert.Equal([20], after.Phq9Scores.Select(s => s.Total));
        Assert.Equal([Start], after.Sessions.Select(s => s.GivenAt));
        Assert.Equal(1, after.Enrolment!.PriorFailedTrials);          // the next enrolment takes the retracted one's place
        Assert.Equal(CourseEndReason.LostToFollowUp, after.Ended!.Reason);  // and the earlier end the later one's
        Assert.Empty(after.OtherEnrolments);
        Assert.Empty(after.OtherEndings);
        Assert.Equal(events.Count, after.FactCount);
        Assert.Equal(Json(CourseFacts.From(events)), Json(after.Facts));
        var outcome = CourseOutcome.Derive(CourseFacts.From(events), OutcomeDefinitions.Default, DateTimeOffset.MaxValue);
        Assert.Null(outcome.FirstResponse);
        Assert.NotNull(CourseOutcome.Derive(CourseFacts.From(events.Take(8).ToList()), OutcomeDefinitions.Default, DateTimeOffset.MaxValue).FirstResponse);
    }

    [Fact]
    public void RetractedOnlyEnd_ReopensTheCourse_RetractedOnlyEnrolment_LeavesNone()
    {
        var (enrolled, ended) = (Guid.NewGuid(), Guid.NewGuid());
        List<(Guid, object)> events =
        [
            (enrolled, Enrolled(-3, 1)),
            (ended, new CourseEnded(Start.AddDays(9), CourseEndReason.Other)),
            (Guid.NewGuid(), new FactRetracted(Start.AddDays(10), ended)),
            (Guid.NewGuid(), new FactRetracted(Start.AddDays(10), enrolled)),
        ];

        var course = Fold(events);

        Assert.Null(course.Ended);
        Assert.Null(course.Enrolment);
        Assert.Equal(Json(CourseFacts.From(events)), Json(course.Facts));
    }
}
