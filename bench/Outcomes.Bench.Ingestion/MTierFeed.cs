using Outcomes.Cli.Demo;
using Outcomes.Contracts;

namespace Outcomes.Bench.Ingestion;

/// The report benchmark's M tier as a bulk-upload file: the demo cohort (attributes, sessions, course
/// ends, PHQ-9 trajectories) with each trajectory of two or more assessments densified to 10 or 11
/// results by interpolated follow-ups, about 10 per course on average (3,000,000 for 300,000 courses),
/// where the demo alone gives about 6. Generated while written: memory stays flat at any size.
public static class MTierFeed
{
    public static IEnumerable<DemoMessage> Messages(int courses, long seed)
    {
        var settings = new DemoSettings { Patients = courses, Seed = seed };
        var random = new Random(unchecked((int)seed) ^ 0x5eed);
        foreach (var patient in DemoCohort.Generate(settings))
        {
            var correlationId = patient.CorrelationId.ToString();
            var target = 10 + patient.Index % 2;
            foreach (var fact in Densified(patient, target, random))
                yield return DemoFeed.Serialize(fact, correlationId);
        }
    }

    /// Adds assessments between the two furthest-apart ones until the course has <paramref name="target"/>,
    /// each the rounded mean of its neighbours, so the trajectory's shape (and who responds) stays the demo's.
    private static IEnumerable<IClinicEvent> Densified(DemoPatient patient, int target, Random random)
    {
        var scores = patient.Facts.OfType<Phq9Completed>().OrderBy(s => s.OccurredAt).ToList();
        if (scores.Count < 2)
            return patient.Facts;
        while (scores.Count < target)
        {
            var gap = Enumerable.Range(0, scores.Count - 1).MaxBy(i => scores[i + 1].OccurredAt - scores[i].OccurredAt);
            var (before, after) = (scores[gap], scores[gap + 1]);
            if (after.OccurredAt - before.OccurredAt < TimeSpan.FromHours(2)) break;
            var at = before.OccurredAt + (after.OccurredAt - before.OccurredAt) / 2;
            scores.Insert(gap + 1, Between(before, after, at, NewGuid(random)));
        }
        return patient.Facts.Where(f => f is not Phq9Completed).Concat(scores).OrderBy(f => f.OccurredAt);
    }

    private static Phq9Completed Between(Phq9Completed before, Phq9Completed after, DateTimeOffset at, Guid eventId)
    {
        if (before.Items is { } a && after.Items is { } b)
        {
            var items = a.Zip(b, (x, y) => (int)Math.Round((x + y) / 2.0, MidpointRounding.ToEven)).ToArray();
            return new Phq9Completed(eventId, before.ClinicId, before.PatientKey, at, items, items.Sum(), before.Course);
        }
        var total = (int)Math.Round(((before.Total ?? before.Items!.Sum()) + (after.Total ?? after.Items!.Sum())) / 2.0);
        return new Phq9Completed(eventId, before.ClinicId, before.PatientKey, at, Total: total, Course: before.Course);
    }

    private static Guid NewGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }
}
