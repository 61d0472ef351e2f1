using System.Text;
using Outcomes.Contracts;
using Outcomes.Domain.Courses;
using Outcomes.Service.Ingestion;

namespace Outcomes.Service.Tests.Ingestion;

/// The reader alone, without broker or database: fast checks of translation details.
public sealed class ClinicEventReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ValidPhq9_TranslatedToStoredEventInUtc()
    {
        var body = """{"eventId":"5f0c6a52-3a43-4f43-9a39-0f8e0c0a1b2c","clinicId":"clinic-a","patientKey":"pk3f9a2b7c1d","occurredAt":"2026-03-02T10:00:00+02:00","items":[1,1,1,1,1,1,1,1,2],"course":2}""";

        var (fact, rejection) = ClinicEventReader.Read("v1.phq9-completed", Encoding.UTF8.GetBytes(body), Now);

        Assert.Null(rejection);
        Assert.Equal(new CourseKey("clinic-a", "pk3f9a2b7c1d", 2), fact!.Course);
        var stored = Assert.IsType<Domain.Courses.Phq9Completed>(fact.Event);
        Assert.Equal(TimeSpan.Zero, stored.OccurredAt.Offset);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero), stored.OccurredAt);
        Assert.Equal(10, stored.Score.Total);
        Assert.Equal(2, stored.Score.Item9);
    }

    private static (CourseFact? Fact, Rejection? Rejection) Read(string body, string type = "phq9-completed") =>
        ClinicEventReader.Read($"v1.{type}", Encoding.UTF8.GetBytes(body), Now);

    private const string Valid = """{"eventId":"5f0c6a52-3a43-4f43-9a39-0f8e0c0a1b2c","clinicId":"clinic-a","patientKey":"pk3f9a2b7c1d","occurredAt":"2026-03-02T10:00:00Z","total":12}""";

    private const string Enrolment = """{"eventId":"5f0c6a52-3a43-4f43-9a39-0f8e0c0a1b2c","clinicId":"clinic-a","patientKey":"pk3f9a2b7c1d","occurredAt":"2026-03-02T10:00:00Z","ageBand":"90+","sex":"female","diagnosisGroup":"other","priorFailedTrials":2,"modality":"iv-ketamine","enrolmentYear":2026}""";

    [Fact]
    public void ValidBodies_Accepted()
    {
        Assert.Null(Read(Valid).Rejection);
        Assert.Null(Read(Enrolment, "patient-enrolled").Rejection);
    }

    // Each failed before its fix (issue 12 points 3, 5, 6): the body was stored.
    [Theory]
    [InlineData("clinicId", "\"clinic-a\"", "\"clinic-f\\n\"", "clinicId", "lower-case letters")]
    [InlineData("sex", "\"female\"", "1", "sex", "must be one of")]
    [InlineData("ageBand", "\"90+\"", "1", "ageBand", "must be one of")]
    [InlineData("ageBand", "\"90+\"", "\"1\"", "ageBand", "must be one of")]
    [InlineData("sex", "\"female\"", "\"Female\"", "sex", "must be one of")]
    [InlineData("diagnosisGroup", "\"other\"", "4", "diagnosisGroup", "must be one of")]
    [InlineData("modality", "\"iv-ketamine\"", "0", "modality", "must be one of")]
    [InlineData("occurredAt", "\"2026-03-02T10:00:00Z\"", "\"2026-03-02T09:00:00\"", "occurredAt", "offset")]
    [InlineData("occurredAt", "\"2026-03-02T10:00:00Z\"", "\"2026-03-01\"", "occurredAt", "offset")]
    [InlineData("eventId", "\"eventId\"", "\"EventId\"", "EventId", "case-sensitive")]
    [InlineData("sex", "\"sex\":\"female\"", "\"sex\":\"female\",\"sex\":\"male\"", "sex", "only once")]
    public void EnrolmentLooserThanTheReadme_Refused(string _, string valid, string broken, string field, string rule)
    {
        Assert.Contains(valid, Enrolment);
        var (fact, rejection) = Read(Enrolment.Replace(valid, broken, StringComparison.Ordinal), "patient-enrolled");
        Assert.Null(fact);
        Assert.Equal(field, rejection!.Field);
        Assert.Contains(rule, rejection.Rule);
    }

    [Theory]
    [InlineData("\"doseUnit\":\"mg\"", "\"doseUnit\":0", "doseUnit")]
    [InlineData("\"route\":\"intravenous\"", "\"route\":0", "route")]
    public void SessionEnumerationAsNumber_Refused(string valid, string broken, string field)
    {
        const string session = """{"eventId":"5f0c6a52-3a43-4f43-9a39-0f8e0c0a1b2c","clinicId":"clinic-a","patientKey":"pk3f9a2b7c1d","occurredAt":"2026-03-02T10:00:00Z","modality":"iv-ketamine","dose":35,"doseUnit":"mg","route":"intravenous"}""";
        Assert.Null(Read(session, "treatment-session-given").Rejection);
        Assert.Equal(field, Read(session.Replace(valid, broken, StringComparison.Ordinal), "treatment-session-given").Rejection!.Field);
    }

    [Fact]
    public void EndReasonAsNumber_Refused()
    {
        const string ended = """{"eventId":"5f0c6a52-3a43-4f43-9a39-0f8e0c0a1b2c","clinicId":"clinic-a","patientKey":"pk3f9a2b7c1d","occurredAt":"2026-03-02T10:00:00Z","reason":"completed"}""";
        Assert.Null(Read(ended, "course-ended").Rejection);
        Assert.Equal("reason", Read(ended.Replace("\"completed\"", "1", StringComparison.Ordinal), "course-ended").Rejection!.Field);
    }

    [Fact]
    public void BothEventIdAndPascalCaseEventId_Refused()
    {
        var body = Valid.Replace("{", "{\"EventId\":\"00000000-0000-4000-8000-000000000001\",", StringComparison.Ordinal);
        Assert.Equal("EventId", Read(body).Rejection!.Field);
    }

    [Fact]
    public void InvalidUtf8_RefusedNotThrown()
    {
        // A lone C3 inside a string: the deserializer threw InvalidOperationException, which was retried (issue 12 point 1).
        var bytes = Encoding.UTF8.GetBytes(Valid.Replace("clinic-a", "clinic-aX", StringComparison.Ordinal));
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xC3;
        var (fact, rejection) = ClinicEventReader.Read("v1.phq9-completed", bytes, Now);
        Assert.Null(fact);
        Assert.Equal(("body", ClinicEventReader.BodyNotUtf8), (rejection!.Field, rejection.Rule));
    }

    [Fact]
    public void AgeBandRule_Says90PlusUnescaped() =>
        Assert.Contains("\"90+\"", Read(Enrolment.Replace("\"90+\"", "\"91\"", StringComparison.Ordinal), "patient-enrolled").Rejection!.Rule);

    [Theory]
    [InlineData("John Smith MRN 1234", null)]
    [InlineData(null, "DOB 1980-01-01")]
    public void CorrelationOrCausationNotUuid_Refused(string? correlation, string? causation)
    {
        var fact = Read(Valid).Fact!;
        var rejection = ClinicEventReader.CheckMetadata(fact, "correlation_id", correlation, "causation-id", causation);
        Assert.Equal(correlation is null ? "causation-id" : "correlation_id", rejection!.Field);
        Assert.Null(ClinicEventReader.CheckMetadata(fact, "correlation_id", Guid.NewGuid().ToString(), "causation-id", Guid.NewGuid().ToString()));
    }

    /// Stored facts keep the hash they were stored with: a change of how it is computed would make every re-send of a
    /// stored fact a conflict. Pinned to the value of the first implementation.
    [Fact]
    public void ContentHash_IsTheOneStoredFactsWereHashedWith() =>
        Assert.Equal("b36f831dfe7372ef693ae96d1bfabed5", CourseBatchWriter.ContentHash(Read(Valid).Fact!));

    [Fact]
    public void ReSendWithOtherSpelling_SameContentHash_OtherValue_OtherHash()
    {
        var a = Read(Valid).Fact!;
        var b = Read(Valid.Replace("10:00:00Z", "12:00:00+02:00", StringComparison.Ordinal).Replace(",", " , ", StringComparison.Ordinal)).Fact!;
        var c = Read(Valid.Replace("\"total\":12", "\"total\":13", StringComparison.Ordinal)).Fact!;
        Assert.Equal(CourseBatchWriter.ContentHash(a), CourseBatchWriter.ContentHash(b));
        Assert.NotEqual(CourseBatchWriter.ContentHash(a), CourseBatchWriter.ContentHash(c));
    }
    /// A stored fact's content hash decides whether the same event id sent again is a redelivery or a conflict, against
    /// hashes stored by every earlier version: written into reused buffers now, it must stay the SHA-256 of the text it
    /// always hashed, for every message type, and for a course key too long for the stack buffer.
    [Fact]
    public void ContentHash_IsTheHashOfCourseTypeAndJson_AsBefore()
    {
        var longKey = "k" + new string('7', 120);
        foreach (var feed in new[] { Fixtures.CourseFeed.ForNewPatient("clinic-h"), Fixtures.CourseFeed.ForNewPatient("clinic-network-hh") })
        {
            var at = new DateTimeOffset(2025, 3, 4, 9, 30, 0, TimeSpan.FromHours(-5));
            var messages = new[]
            {
                Fixtures.CourseFeed.Message("patient-enrolled", feed.Enrolment(at)),
                Fixtures.CourseFeed.Message("treatment-session-given", feed.Session(at.AddDays(1))),
                Fixtures.CourseFeed.Message("phq9-completed", feed.Phq9(at.AddDays(2), 2, 1, 3, 0, 1, 2, 0, 1, 1)),
                Fixtures.CourseFeed.Message("phq9-completed", feed.Phq9Total(at.AddDays(3), 17)),
                Fixtures.CourseFeed.Message("course-ended", feed.Ended(at.AddDays(30))),
                Fixtures.CourseFeed.Message("fact-retracted", feed.Retraction(at.AddDays(31), Guid.NewGuid())),
            };
            foreach (var message in messages)
            {
                var (fact, rejection) = ClinicEventReader.Read(message.RoutingKey, Encoding.UTF8.GetBytes(message.Json), at.AddYears(1));
                Assert.Null(rejection);
                foreach (var course in new[] { fact!.Course, fact.Course with { PatientKey = longKey + new string('8', 400) } })
                {
                    var asStored = fact with { Course = course };
                    var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(asStored.Event, asStored.Event.GetType(),
                        new System.Text.Json.JsonSerializerOptions { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } });
                    var text = Encoding.UTF8.GetBytes($"{asStored.Course}\n{asStored.MessageType}\n").Concat(json).ToArray();
                    var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(text)[..16]);
                    Assert.Equal(expected, CourseBatchWriter.ContentHash(asStored));
                }
            }
        }
    }
}
