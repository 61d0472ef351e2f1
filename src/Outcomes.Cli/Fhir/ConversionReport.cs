using System.Text;
using System.Text.Json;

namespace Outcomes.Cli.Fhir;

/// <summary>
/// What a conversion read, mapped and skipped, by reason. Reasons name a resource type and a rule, never a
/// patient, an identifier or a resource id, so the report can leave the clinic with the facts.
/// </summary>
public sealed class ConversionReport
{
    public long Files { get; set; }
    public long Resources { get; private set; }
    public long Facts { get; private set; }
    public long Patients { get; set; }
    public SortedDictionary<string, long> Read { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, long> Mapped { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, long> Skipped { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, long> Flagged { get; } = new(StringComparer.Ordinal);

    /// <summary>RxNorm codes of administrations that matched neither list: what to add to --mapping if they are ketamine.</summary>
    public SortedDictionary<string, long> UnmatchedRxNorm { get; } = new(StringComparer.Ordinal);

    public void Resource(string type)
    {
        Resources++;
        Add(Read, type);
    }

    public void Skip(string type, string reason) => Add(Skipped, $"{type}: {reason}");

    /// <summary>Something mapped with a default or a loss worth knowing (sex unknown, total only, date only...).</summary>
    public void Flag(string note) => Add(Flagged, note);

    public void Fact(string messageType)
    {
        Facts++;
        Add(Mapped, messageType);
    }

    public void Unmatched(string code)
    {
        if (UnmatchedRxNorm.Count < 200 || UnmatchedRxNorm.ContainsKey(code)) Add(UnmatchedRxNorm, code);
    }

    private static void Add(SortedDictionary<string, long> counts, string key) =>
        counts[key] = counts.TryGetValue(key, out var n) ? n + 1 : 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine($"read {Resources} resources from {Files} files; {Patients} patients; wrote {Facts} facts");
        void Section(string title, SortedDictionary<string, long> counts)
        {
            if (counts.Count == 0) return;
            text.AppendLine(title);
            foreach (var (key, n) in counts) text.AppendLine($"  {n,9}  {key}");
        }
        Section("read:", Read);
        Section("mapped:", Mapped);
        Section("skipped:", Skipped);
        Section("flagged (mapped with a default or a loss):", Flagged);
        Section("RxNorm codes of administrations not in the ketamine/esketamine lists:", UnmatchedRxNorm);
        return text.ToString();
    }
}
