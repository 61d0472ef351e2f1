using System.Text.Json;
using System.Text.Json.Serialization;
using Outcomes.Cli.Publishing;
using Outcomes.Contracts;

namespace Outcomes.Cli.Demo;

/// <summary>One message of the demo feed: where it goes, its AMQP ids, its exact body, and why it is there.</summary>
/// <param name="Invalid">The rule the message deliberately breaks (e.g. "item-out-of-range"), or null for a valid message.</param>
/// <param name="Duplicate">A byte-identical re-send of an earlier message (same event id).</param>
public sealed record DemoMessage(
    string RoutingKey,
    string MessageId,
    string? CorrelationId,
    byte[] Body,
    string? Invalid = null,
    bool Duplicate = false)
{
    public OutgoingMessage ToOutgoing() => new(RoutingKey, Body, MessageId, CorrelationId);
}

/// <summary>
/// Turns the demo cohort into the message sequence a clinic integration would publish: facts in the
/// order they happened (or shuffled), some re-sent, some deliberately broken.
/// </summary>
public static class DemoFeed
{
    // As a non-.NET publisher would write them: absent optional fields are left out rather than sent as null.
    public static readonly JsonSerializerOptions PublisherJson = new(WireContract.JsonOptions)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    // Duplicates arrive a little later, as a publisher retrying after a lost confirm would send them.
    private const int MaxDuplicateLag = 200;

    // Patients use streams 0..N-1; the feed's own decisions use a stream no patient can have.
    private const long FeedStream = -1;

    public static IReadOnlyList<DemoMessage> Messages(DemoSettings settings)
    {
        var facts = new List<(DateTimeOffset At, int Patient, int Order, IClinicEvent Fact, DemoMessage Message)>();
        foreach (var patient in DemoCohort.Generate(settings))
        {
            var correlationId = patient.CorrelationId.ToString();
            for (var k = 0; k < patient.Facts.Count; k++)
            {
                var fact = patient.Facts[k];
                facts.Add((fact.OccurredAt, patient.Index, k, fact, Serialize(fact, correlationId)));
            }
        }
        facts.Sort((a, b) =>
        {
            var byTime = a.At.CompareTo(b.At);
            if (byTime != 0) return byTime;
            var byPatient = a.Patient.CompareTo(b.Patient);
            return byPatient != 0 ? byPatient : a.Order.CompareTo(b.Order);
        });

        var random = new DemoRandom(settings.Seed, FeedStream);
        // Per valid message, so that invalid ones make up about settings.Invalid of the whole feed.
        var invalidChance = settings.Invalid / (1 - settings.Invalid);
        var placed = new List<(double Position, DemoMessage Message)>(facts.Count);
        for (var i = 0; i < facts.Count; i++)
        {
            var (_, _, _, fact, message) = facts[i];
            placed.Add((i, message));
            if (settings.Duplicates > 0 && random.Chance(settings.Duplicates))
                placed.Add((i + random.Next(1, MaxDuplicateLag + 1) + 0.5, message with { Duplicate = true }));
            if (settings.Invalid > 0 && random.Chance(invalidChance))
                placed.Add((i + 0.25, InvalidMessages.Create(fact, message, random)));
        }

        var feed = placed.OrderBy(p => p.Position).Select(p => p.Message).ToList();
        if (settings.Shuffle) random.Shuffle(feed);
        return feed;
    }

    /// <summary>
    /// The same messages as <see cref="Messages"/>, for a bulk load: without --shuffle, --duplicates or
    /// --invalid they come patient by patient (each patient's facts in time order) and are generated as
    /// they are written, so any cohort size fits in memory, and a bulk load's batches touch few courses.
    /// With those options the feed is the published order, which needs the whole feed in memory.
    /// </summary>
    public static IEnumerable<DemoMessage> ForBulkLoad(DemoSettings settings)
    {
        if (settings.Shuffle || settings.Duplicates > 0 || settings.Invalid > 0)
            return Messages(settings);
        return DemoCohort.Generate(settings).SelectMany(patient =>
        {
            var correlationId = patient.CorrelationId.ToString();
            return patient.Facts.Select(fact => Serialize(fact, correlationId));
        });
    }

    public static DemoMessage Serialize(IClinicEvent fact, string? correlationId) => new(
        WireContract.RoutingKey(fact.GetType()),
        fact.EventId.ToString(),
        correlationId,
        JsonSerializer.SerializeToUtf8Bytes(fact, fact.GetType(), PublisherJson));
}
