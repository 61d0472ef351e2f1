using System.Text.Json;

namespace Outcomes.Cli.Fhir;

/// <summary>
/// What the bridge last sent for each course's enrolment and course end (<c>--state FILE</c>). Their ids are the
/// course's and the episode's, not their content's, so a later export that changes one (a new Condition, another
/// birthDate, an earlier first session, another period end) would send the same id with other content, which the
/// service refuses as a reused event id, keeping the stale fact. With the ledger the changed fact goes under a new id
/// (derived from the one sent before and the new content), with a retraction of the one sent before. Keyed by event ids and keyed content hashes
/// only: nothing identifying is kept.
/// </summary>
public sealed class CourseLedger
{
    /// <summary>The id the fact was last sent under, and the keyed hash of its content.</summary>
    public sealed record Sent(Guid EventId, Guid Content);

    private const string Format = "outcomes-fhir-state-1";

    private sealed record Line(Guid Course, Guid EventId, Guid Content);

    private sealed record Document(string Format, List<Line> Facts);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private readonly SortedDictionary<Guid, Sent> _sent;

    public CourseLedger() => _sent = [];

    private CourseLedger(IEnumerable<Line> lines) => _sent = new(lines.ToDictionary(l => l.Course, l => new Sent(l.EventId, l.Content)));

    /// <summary>The fact last sent for a course fact's first id (the one sent without a ledger), or null.</summary>
    public Sent? For(Guid firstId) => _sent.GetValueOrDefault(firstId);

    public void Record(Guid firstId, Sent sent) => _sent[firstId] = sent;

    public int Count => _sent.Count;

    /// <summary>Reads the ledger; a file that does not exist yet is an empty ledger (the first run).</summary>
    public static (CourseLedger? Ledger, string? Problem) Load(string path)
    {
        if (!File.Exists(path)) return (new CourseLedger(), null);
        try
        {
            var document = JsonSerializer.Deserialize<Document>(File.ReadAllText(path), Json);
            if (document?.Format != Format) return (null, $"--state: {path} is not a ledger of this bridge (format must be {Format})");
            return (new CourseLedger(document.Facts), null);
        }
        catch (JsonException e)
        {
            return (null, $"--state: {e.Path ?? "$"}: {e.Message}");
        }
    }

    /// <summary>Writes the ledger whole to a temporary file first, so a crash leaves the old one, never half a new one.</summary>
    public void Save(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(new Document(Format, _sent.Select(p => new Line(p.Key, p.Value.EventId, p.Value.Content)).ToList()), Json));
        File.Move(temporary, path, overwrite: true);
    }
}
