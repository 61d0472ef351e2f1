using System.Text.Json;
using System.Text.Json.Serialization;
using CsvHelper;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Exports;

namespace Outcomes.Cli.Exports;

/// `outcomes report --from-export DIR`: the cohort report recomputed from an unpacked CSV export, with no service,
/// published (small cells suppressed) as the API publishes it.
public static class OfflineReport
{
    /// The API's JSON: web defaults (camelCase) and enumerations as their names.
    public static readonly JsonSerializerOptions ApiJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// Throws ExportReadException when the folder is not a CSV export or cannot answer the definition.
    public static PublishedCohortReport FromDirectory(string directory, ReportDefinition? definition, TextWriter warnings)
    {
        var manifestPath = Path.Combine(directory, "manifest.json");
        if (!File.Exists(manifestPath)) throw new ExportReadException($"{manifestPath} not found: is '{directory}' an unpacked export?");
        var manifest = ExportManifest.FromJson(File.ReadAllText(manifestPath));
        if (manifest.Format != "csv") throw new ExportReadException("only CSV exports can be read offline; export again with --format csv");
        definition ??= manifest.Report ?? throw new ExportReadException("the export was made from a filter, not a named report: pass --definition FILE");
        var violations = definition.Validate();
        if (violations.Count > 0) throw new ExportReadException($"the report definition breaks rules: {violations[0].Field} {violations[0].Rule}");
        if (manifest.Deidentification.SuppressedSubjects > 0)
            warnings.WriteLine($"warning: {manifest.Deidentification.SuppressedSubjects} subjects were suppressed for k-anonymity; " +
                "the report counts only the released ones, so it can differ from the service's");
        var report = ExportedCohort.Report(manifest, definition, Read(Path.Combine(directory, "subjects.csv")),
            Read(Path.Combine(directory, "assessments.csv")));
        return SmallCellSuppression.Apply(report);
    }

    private static ExportTable Read(string path)
    {
        if (!File.Exists(path)) throw new ExportReadException($"{path} not found");
        using var reader = CsvReader.FromFile(path, new CsvReaderOptions { Separator = ',', DetectSeparatorHint = false });
        var header = reader.Headers.ToArray();
        var rows = new List<IReadOnlyList<string?>>();
        while (reader.Read())
        {
            var row = new string?[header.Length];
            for (var i = 0; i < header.Length; i++) row[i] = reader.GetString(i) is { Length: > 0 } v ? v : null;
            rows.Add(row);
        }
        return new ExportTable(header, rows);
    }
}
