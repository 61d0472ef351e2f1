using Outcomes.Cli.Demo;
using Outcomes.Contracts;

namespace Outcomes.Cli.Tests.Demo;

public sealed class DemoCohortTests
{
    private static readonly DemoSettings Default = new();
    private static readonly Lazy<IReadOnlyList<DemoPatient>> Patients = new(() => DemoCohort.Generate(Default).ToList());
    private static readonly DateTimeOffset UntilInstant = new(Default.Until.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static IEnumerable<IClinicEvent> Facts => Patients.Value.SelectMany(p => p.Facts);

    [Fact]
    public void SameSeed_GivesByteIdenticalMessages()
    {
        var settings = new DemoSettings { Patients = 200, Seed = 11 };
        var first = DemoFeed.Messages(settings);
        var second = DemoFeed.Messages(settings);

        Assert.Equal(first.Count, second.Count);
        for (var i = 0; i < first.Count; i++)
        {
            Assert.Equal(first[i].RoutingKey, second[i].RoutingKey);
            Assert.Equal(first[i].MessageId, second[i].MessageId);
            Assert.Equal(first[i].CorrelationId, second[i].CorrelationId);
            Assert.Equal(first[i].Body, second[i].Body);
        }
    }

    [Fact]
    public void DifferentSeed_GivesDifferentMessages()
    {
        var a = DemoFeed.Messages(new DemoSettings { Patients = 50, Seed = 1 });
        var b = DemoFeed.Messages(new DemoSettings { Patients = 50, Seed = 2 });

        Assert.Empty(a.Select(m => m.MessageId).Intersect(b.Select(m => m.MessageId)));
    }

    [Fact]
    public void MorePatients_LeavesEarlierPatientsUnchanged()
    {
        var small = DemoCohort.Generate(new DemoSettings { Patients = 30 }).ToList();
        var large = DemoCohort.Generate(new DemoSettings { Patients = 60 }).Take(30).ToList();

        Assert.Equal(Bodies(small), Bodies(large));
    }

    [Fact]
    public void EveryMessage_ReadsBackUnderTheWireContractAndKeepsItsRules()
    {
        var messages = DemoFeed.Messages(Default);

        Assert.All(messages, message =>
        {
            var fact = WireRules.TryRead(message.RoutingKey, message.Body);
            Assert.NotNull(fact);
            Assert.Equal(message.MessageId, fact.EventId.ToString());
            Assert.Empty(WireRules.Violations(fact, UntilInstant));
            Assert.Equal(TimeSpan.Zero, fact.OccurredAt.Offset);
        });
    }

    [Fact]
    public void EveryPatient_IsEnrolledFirstAndKeepsOneCorrelationId()
    {
        var messages = DemoFeed.Messages(Default);

        Assert.All(Patients.Value, patient =>
        {
            Assert.IsType<PatientEnrolled>(patient.Facts[0]);
            Assert.All(patient.Facts, f => Assert.Equal(patient.PatientKey, f.PatientKey));
        });
        var correlationsPerPatient = messages
            .Select(m => (Key: WireRules.TryRead(m.RoutingKey, m.Body)!.PatientKey, m.CorrelationId))
            .Distinct()
            .GroupBy(p => p.Key);
        Assert.All(correlationsPerPatient, g => Assert.Single(g));
        Assert.Equal(Default.Patients, messages.Select(m => m.CorrelationId).Distinct().Count());
    }

    [Fact]
    public void Sessions_FallInClinicHoursOnWeekdays()
    {
        var offsets = ClinicProfile.ForCount(Default.Clinics).ToDictionary(c => c.ClinicId, c => c.UtcOffsetHours);

        Assert.All(Facts.OfType<TreatmentSessionGiven>(), session =>
        {
            var local = session.OccurredAt.ToOffset(TimeSpan.FromHours(offsets[session.ClinicId]));
            Assert.InRange(local.TimeOfDay, TimeSpan.FromHours(7.5), TimeSpan.FromHours(17));
            Assert.NotEqual(DayOfWeek.Saturday, local.DayOfWeek);
            Assert.NotEqual(DayOfWeek.Sunday, local.DayOfWeek);
        });
    }

    [Fact]
    public void Cohort_HasTheVarietyADemoNeeds()
    {
        var enrolled = Facts.OfType<PatientEnrolled>().ToList();
        var scores = Facts.OfType<Phq9Completed>().ToList();
        var ends = Facts.OfType<CourseEnded>().ToList();

        Assert.Equal(Default.Clinics, enrolled.Select(e => e.ClinicId).Distinct().Count());
        Assert.InRange(enrolled.Count(e => e.Modality == Modality.IvKetamine) / (double)enrolled.Count, 0.45, 0.75);
        Assert.Equal(Enum.GetValues<Modality>().Length, enrolled.Select(e => e.Modality).Distinct().Count());
        Assert.Contains(enrolled, e => e.AgeBand == AgeBand.From75To89);
        Assert.Contains(enrolled, e => e.AgeBand == AgeBand.From90);
        Assert.All(enrolled, e => Assert.InRange(e.PriorFailedTrials, 0, 6));
        Assert.Contains(scores, s => s.Items is null);
        Assert.Contains(scores, s => s.Items is not null && s.Total is null);
        Assert.Contains(scores, s => s.Items is { } items && items[8] > 0);
        Assert.InRange(scores.Count(s => s.Items is { } items && items[8] > 0) / (double)scores.Count, 0.01, 0.15);
        Assert.InRange(ends.Count / (double)enrolled.Count, 0.70, 0.95);
        Assert.Equal(Enum.GetValues<CourseEndReason>().Length, ends.Select(e => e.Reason).Distinct().Count());
    }

    [Fact]
    public void Sessions_CarryTheModalitysUsualDoseAndRoute()
    {
        Assert.All(Facts.OfType<TreatmentSessionGiven>(), session =>
        {
            switch (session.Modality)
            {
                case Modality.IvKetamine:
                    Assert.Equal(Route.Intravenous, session.Route);
                    Assert.Equal(DoseUnit.MilligramsPerKilogram, session.DoseUnit);
                    Assert.InRange(session.Dose, 0.5m, 1.0m);
                    break;
                case Modality.IntranasalEsketamine:
                    Assert.Equal(Route.Intranasal, session.Route);
                    Assert.Contains(session.Dose, new[] { 56m, 84m });
                    break;
            }
        });
    }

    [Fact]
    public void EarlierUntil_MovesTheWholeCohortBeforeIt()
    {
        var until = new DateOnly(2024, 6, 1);
        var facts = DemoCohort.Generate(new DemoSettings { Patients = 100, Until = until }).SelectMany(p => p.Facts).ToList();

        Assert.All(facts, f => Assert.True(f.OccurredAt < new DateTimeOffset(until.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)));
        Assert.Contains(facts, f => f.OccurredAt > new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero));
    }

    private static List<byte[]> Bodies(IEnumerable<DemoPatient> patients) =>
        patients.SelectMany(p => p.Facts).Select(f => DemoFeed.Serialize(f, null).Body).ToList();
}
