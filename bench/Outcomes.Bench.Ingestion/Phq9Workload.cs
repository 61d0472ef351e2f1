using Outcomes.Cli.Demo;
using Outcomes.Cli.Publishing;
using Outcomes.Contracts;

namespace Outcomes.Bench.Ingestion;

/// The messages of one benchmark: valid PHQ-9 results, serialized exactly as the demo feed puts
/// contract v1 on the wire, in clinical order (every patient's first assessment, then every
/// patient's second, ...) as a clinic feed interleaves its patients.
/// <param name="PoisonCount">Bad messages mixed in (Messages holds them too); each must be refused, none stored.</param>
public sealed record Phq9Workload(string ClinicPrefix, int Patients, int AssessmentsPerPatient, IReadOnlyList<OutgoingMessage> Messages,
    IReadOnlyList<Guid> EventIds, int PoisonCount = 0)
{
    public const int Clinics = 4;

    /// The share of the valid assessments with item 9 at 1 or more: each raises at least one safety signal.
    public double Item9PositiveShare { get; init; }

    /// The valid facts, each to be stored once.
    public int Count => EventIds.Count;

    /// The same valid messages with bad ones mixed in evenly, <paramref name="percent"/> % of all messages: bodies that
    /// are not JSON, invalid UTF-8, unknown or PascalCase properties, a time without offset, a duplicate key (the kinds of
    /// issue 12). Each bad message is a fresh fact of a patient of its own, so nothing about the valid ones changes.
    public Phq9Workload WithPoison(int percent, int seed)
    {
        if (percent <= 0) return this;
        var random = new Random(seed);
        var every = Math.Max(1, (int)Math.Round((100.0 - percent) / percent));
        var messages = new List<OutgoingMessage>(Messages.Count + Messages.Count / every + 1);
        var poison = 0;
        for (var i = 0; i < Messages.Count; i++)
        {
            messages.Add(Messages[i]);
            if ((i + 1) % every != 0) continue;
            var fact = new Phq9Completed(NewGuid(random), $"{ClinicPrefix}-poison", $"pz{poison:D6}x{random.Next(0x100000, 0xFFFFFF):x6}",
                new DateTimeOffset(2025, 6, 1, 9, 0, 0, TimeSpan.Zero).AddMinutes(poison), Total: 12);
            var valid = DemoFeed.Serialize(fact, null).ToOutgoing();
            messages.Add(valid with { Body = Poison(poison % 6, valid.Body.ToArray()) });
            poison++;
        }
        return this with { Messages = messages, PoisonCount = poison };
    }

    private static byte[] Poison(int kind, byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body);
        switch (kind)
        {
            case 0: return "PHQ9 total=12"u8.ToArray();
            case 1:
                body[text.IndexOf("pz", StringComparison.Ordinal)] = 0xC3;
                return body;
            case 2: text = text.Replace("{", "{\"note\":\"felt low\",", StringComparison.Ordinal); break;
            case 3: text = text.Replace("\"clinicId\"", "\"ClinicId\"", StringComparison.Ordinal); break;
            case 4: text = System.Text.RegularExpressions.Regex.Replace(text, "(\"occurredAt\":\"[^\"]*?)(Z|[+-]\\d{2}:\\d{2})\"", "$1\""); break;
            default: text = text.Replace("{", "{\"total\":12,", StringComparison.Ordinal); break;
        }
        return System.Text.Encoding.UTF8.GetBytes(text);
    }

    /// The same seed gives byte-identical messages, so the ceiling and the service see the same bodies.
    /// <param name="item9PositivePercent">Null: every item uniform on 0-3 (item 9 positive in 75 % of assessments, as
    /// measured until 2026-12-04). Else that share of assessments has item 9 at 1-3, the rest 0: clinics treating
    /// depression see it in far fewer than 75 % (docs/benchmarks.md, "Ingestion, 2026-12-05").</param>
    public static Phq9Workload Create(string clinicPrefix, int patients, int assessmentsPerPatient, int seed, int? item9PositivePercent = null)
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
        var positives = 0;
        for (var k = 0; k < assessmentsPerPatient; k++)
        for (var p = 0; p < patients; p++)
        {
            for (var i = 0; i < items.Length; i++) items[i] = random.Next(0, 4);
            if (item9PositivePercent is { } positive) items[8] = random.Next(0, 100) < positive ? random.Next(1, 4) : 0;
            if (items[8] > 0) positives++;
            var fact = new Phq9Completed(NewGuid(random), $"{clinicPrefix}-{(char)('a' + p % Clinics)}", keys[p],
                starts[p].AddDays(7 * k), items.ToArray(), items.Sum());
            messages.Add(DemoFeed.Serialize(fact, correlations[p]).ToOutgoing());
            ids.Add(fact.EventId);
        }
        return new Phq9Workload(clinicPrefix, patients, assessmentsPerPatient, messages, ids)
        {
            Item9PositiveShare = messages.Count == 0 ? 0 : (double)positives / messages.Count,
        };
    }

    private static Guid NewGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }
}
