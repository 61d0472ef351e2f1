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

    /// <summary>
    /// What makes a read ledger unusable (the JSON path and the rule), or null. A field left out reads as the empty
    /// id, and a course twice would keep one of its entries: either way the ledger would be half read, and the next
    /// changed enrolment sent as a reused id or retracting the wrong one, so it is refused whole.
    /// </summary>
    private static string? Problem(List<Line>? lines)
    {
        if (lines is null) return "$.facts: required, a list of entries ([] for none), not null or left out";
        var seen = new Dictionary<Guid, int>();
        for (var i = 0; i < lines.Count; i++)
        {
            var at = $"$.facts[{i}]";
            if (lines[i] is not { } line) return $"{at}: an entry is required (course, eventId, content), not null";
            foreach (var (name, id) in new[] { ("course", line.Course), ("eventId", line.EventId), ("content", line.Content) })
                if (id == Guid.Empty) return $"{at}.{name}: required, a non-empty id";
            if (seen.TryGetValue(line.Course, out var first))
                return $"{at}.course: {line.Course:D} is in the ledger already at $.facts[{first}] (one entry per enrolment or course end)";
            seen[line.Course] = i;
        }
        return null;
    }

    /// <summary>The fact last sent for a course fact's first id (the one sent without a ledger), or null.</summary>
    public Sent? For(Guid firstId) => _sent.GetValueOrDefault(firstId);

    public void Record(Guid firstId, Sent sent) => _sent[firstId] = sent;

    public int Count => _sent.Count;

    /// <summary>Reads the ledger; a file that does not exist yet is an empty ledger (the first run).</summary>
    public static (CourseLedger? Ledger, string? Problem) Load(string path)
    {
        if (Directory.Exists(path)) return (null, $"--state: {path} is a folder; the ledger is a file (created by the first run)");
        if (!File.Exists(path)) return (new CourseLedger(), null);
        try
        {
            var document = JsonSerializer.Deserialize<Document>(File.ReadAllText(path), Json);
            if (document?.Format != Format) return (null, $"--state: {path} is not a ledger of this bridge (format must be {Format})");
            return Problem(document.Facts) is { } problem ? (null, $"--state: {problem}") : (new CourseLedger(document.Facts), null);
        }
        catch (JsonException e)
        {
            return (null, $"--state: {e.Path ?? "$"}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"--state: {path} cannot be read: {e.Message}");
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
