using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Outcomes.Domain.Exports;

/// The data dictionary of an export: every column of every dataset with its meaning, type, unit and allowed values,
/// as JSON (for programs) and Markdown (for people). Both are fixed text for a given version of this code.
public static class DataDictionary
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NewLine = "\n",
    };

    private sealed record DatasetEntry(string Name, string Meaning, IReadOnlyList<ColumnEntry> Columns);

    private sealed record ColumnEntry(string Name, ColumnType Type, bool Nullable, string Meaning, string? Unit,
        IReadOnlyList<string>? AllowedValues);

    public static string ToJson(IReadOnlyList<ExportDataset> datasets) =>
        JsonSerializer.Serialize(datasets.Select(d => new DatasetEntry(d.Name, d.Meaning,
            d.Columns.Select(c => new ColumnEntry(c.Name, c.Type, c.Nullable, c.Meaning, c.Unit, c.AllowedValues)).ToArray())).ToArray(), Json) + "\n";

    public static string ToMarkdown(IReadOnlyList<ExportDataset> datasets, string fileExtension)
    {
        var text = new StringBuilder();
        text.Append("# Data dictionary\n\n");
        text.Append("Days count whole UTC calendar days since the course's first treatment session. No date, patient key or ")
            .Append("clinic id (unless manifest.json says clinicIdentifiers is \"ids\") is exported. An empty cell is a missing value.\n");
        foreach (var dataset in datasets)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n## {dataset.Name}.{fileExtension}\n\n{dataset.Meaning}\n\n");
            text.Append("| Column | Type | Empty allowed | Unit | Allowed values | Meaning |\n|---|---|---|---|---|---|\n");
            foreach (var c in dataset.Columns)
                text.Append(CultureInfo.InvariantCulture,
                    $"| {c.Name} | {c.Type.ToString().ToLowerInvariant()} | {(c.Nullable ? "yes" : "no")} | {c.Unit ?? ""} | " +
                    $"{(c.AllowedValues is null ? "" : string.Join(", ", c.AllowedValues))} | {c.Meaning.Replace("|", "\\|", StringComparison.Ordinal)} |\n");
        }
        return text.ToString();
    }
}
