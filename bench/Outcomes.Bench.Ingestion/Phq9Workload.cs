using Outcomes.Cli.Demo;
using Outcomes.Cli.Publishing;
using Outcomes.Contracts;

namespace Outcomes.Bench.Ingestion;

/// The messages of one benchmark: valid PHQ-9 results, serialized exactly as the demo feed puts
/// contract v1 on the wire, in clinical order (every patient's first assessment, then every
/// patient's second, ...) as a clinic feed interleaves its patients.
public sealed record Phq9Workload(string ClinicPrefix, int Patients, int AssessmentsPerPatient, IReadOnlyList<OutgoingMessage> Messages,
    IReadOnlyList<Guid> EventIds)
{
    public const int Clinics = 4;

    public int Count => Messages.Count;

    /// The same seed gives byte-identical messages, so the ceiling and the service see the same bodies.
    public static Phq9Workload Create(string clinicPrefix, int patients, int assessmentsPerPatient, int seed)
    {
        var random = new Random(seed);
        var firstVisit = new DateTimeOffset(2024, 1, 1, 9, 0, 0, TimeSpan.Zero);
        var keys = new string[patients];
        var correlations = new string[patients];
        var starts = new DateTimeOffset[patients];
        for (var p = 0; p < patients; p++)
        {
            // Letters after the digits keep the key from reading as a record number (PatientKeyRule).
            keys[p] = $"pt{p:D6}x{random.Next(0x100000, 0xFFFFFF):x6}";
            correlations[p] = NewGuid(random).ToString();
            starts[p] = firstVisit.AddMinutes(random.Next(0, 365 * 24 * 60));
        }

        var messages = new List<OutgoingMessage>(patients * assessmentsPerPatient);
        var ids = new List<Guid>(patients * assessmentsPerPatient);
        var items = new int[9];
        for (var k = 0; k < assessmentsPerPatient; k++)
        for (var p = 0; p < patients; p++)
        {
            for (var i = 0; i < items.Length; i++) items[i] = random.Next(0, 4);
            var fact = new Phq9Completed(NewGuid(random), $"{clinicPrefix}-{(char)('a' + p % Clinics)}", keys[p],
                starts[p].AddDays(7 * k), items.ToArray(), items.Sum());
            messages.Add(DemoFeed.Serialize(fact, correlations[p]).ToOutgoing());
            ids.Add(fact.EventId);
        }
        return new Phq9Workload(clinicPrefix, patients, assessmentsPerPatient, messages, ids);
    }

    private static Guid NewGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }
}
