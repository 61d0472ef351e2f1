using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CsvHelper;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Exports;
using Parquet;

namespace Outcomes.Cli.Exports;

/// `outcomes report --from-export DIR`: the cohort report recomputed from an unpacked export (CSV or Parquet), with no service:
/// exact over the released microdata, and saying how many of the cohort's subjects carry generalised values and how many
/// subjects of the caller's clinics the release removed (the service's report of the same cohort counts those too).
public static class OfflineReport
{
    /// The API's JSON: web defaults (camelCase) and enumerations as their names.
    public static readonly JsonSerializerOptions ApiJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// A reader per export format, by the name the service's ExportFormats gives it (and the manifest states).
    public static IReadOnlyDictionary<string, Func<string, ExportTable>> Readers { get; } = new Dictionary<string, Func<string, ExportTable>>(StringComparer.Ordinal)
    {
        ["csv"] = ReadCsv,
        ["parquet"] = ReadParquet,
    };

    /// Throws ExportReadException when the folder is not an export or cannot answer the definition.
    public static PublishedCohortReport FromDirectory(string directory, ReportDefinition? definition, TextWriter warnings)
    {
        var manifestPath = Path.Combine(directory, "manifest.json");
        if (!File.Exists(manifestPath)) throw new ExportReadException($"{manifestPath} not found: is '{directory}' an unpacked export?");
        var manifest = ExportManifest.FromJson(File.ReadAllText(manifestPath));
        if (manifest.FormatVersion != ExportManifest.CurrentFormatVersion || manifest.Release is null)
            throw new ExportReadException($"manifest.json: format {manifest.FormatVersion}, not {ExportManifest.CurrentFormatVersion}: an export " +
                "anonymised on its own, before exports came from releases; export the cohort again");
        var read = Readers.GetValueOrDefault(manifest.Format)
            ?? throw new ExportReadException($"manifest.json: format '{manifest.Format}' is not one of {string.Join(", ", Readers.Keys)}");
        definition ??= manifest.Report ?? throw new ExportReadException("the export was made from a filter, not a named report: pass --definition FILE");
        var violations = definition.Validate();
        if (violations.Count > 0) throw new ExportReadException($"the report definition breaks rules: {violations[0].Field} {violations[0].Rule}");
        var released = ExportedCohort.Read(manifest, definition, read(Path.Combine(directory, $"subjects.{manifest.Format}")),
            read(Path.Combine(directory, $"assessments.{manifest.Format}")));
        var cohort = released.InCohort(definition);
        foreach (var line in Differences(manifest, cohort.Subjects, cohort.Generalised)) warnings.WriteLine(line);
        var report = ExportedCohort.Report(manifest, definition, released);
        return Outcomes.Domain.Disclosure.ReportDisclosure.OverReleasedMicrodata(report, manifest.Deidentification.Export.SuppressedInScope,
            cohort.Generalised);
    }

    /// What the offline report reproduces and what it cannot: the service counts every course of the cohort, the export
    /// only the released ones, some with generalised values, and its event days are shifted. The cohort's own subjects
    /// (<paramref name="cohortSubjects"/>, <paramref name="generalisedInCohort"/> of them generalised) are counted from the
    /// export; of the removed subjects only the release's count for the caller's clinics is known, by design.
    public static IEnumerable<string> Differences(ExportManifest manifest, int cohortSubjects, int generalisedInCohort)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var d = manifest.Deidentification;
        yield return $"note: computed over the released microdata of release {manifest.Release?.Id}, not the service's data: it can differ " +
            "from the service's report of the same cohort.";
        if (d.Export.SuppressedInScope > 0)
            yield return $"note: the release suppressed {d.Export.SuppressedInScope} subjects of your clinics for k-anonymity (k = {d.K}); " +
                "those of this cohort (up to that many; the release does not say how many removed subjects match a filter) are missing " +
                "from every count, rate, curve and mean.";
        if (generalisedInCohort > 0)
            yield return $"note: {generalisedInCohort} of this cohort's {cohortSubjects} subjects carry generalised values (in the whole export: " +
                string.Join(", ", d.Export.GeneralisedColumns.Where(c => c.Subjects > 0).Select(c => $"{c.Column} {c.Subjects}")) +
                "); a filter on a released value leaves them out, and a report that filters or groups on a generalised column is refused.";
        yield return $"note: assessment days are shifted by up to {d.Export.DayJitterDays} day per subject: weekly PHQ-9 means and the " +
            "trajectory slope move slightly; response, remission and durability days come from subjects and are exact.";
    }

    /// A dataset's CSV file as text cells, an empty field as null.
    public static ExportTable ReadCsv(string path)
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

    /// A dataset's Parquet file as the same text cells its CSV twin holds (invariant numbers, true/false, null for a
    /// missing value), so one reader of the data dictionary serves both formats.
    public static ExportTable ReadParquet(string path)
    {
        if (!File.Exists(path)) throw new ExportReadException($"{path} not found");
        // The CLI has no synchronisation context: waiting here cannot deadlock.
        return ReadParquetAsync(path).GetAwaiter().GetResult();
    }

    private static async Task<ExportTable> ReadParquetAsync(string path)
    {
        await using var file = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(file);
        var fields = reader.Schema.GetDataFields();
        var rows = new List<IReadOnlyList<string?>>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var count = checked((int)group.RowCount);
            var columns = new Array[fields.Length];
            for (var c = 0; c < fields.Length; c++) columns[c] = await ReadColumn(group, fields[c], count);
            for (var r = 0; r < count; r++)
            {
                var row = new string?[fields.Length];
                for (var c = 0; c < fields.Length; c++) row[c] = Cell(columns[c].GetValue(r));
                rows.Add(row);
            }
        }
        return new ExportTable(fields.Select(f => f.Name).ToArray(), rows);
    }

    /// The writer's four column types (ExportWriters.ParquetDatasetWriter), each read into its own array.
    private static async Task<Array> ReadColumn(ParquetRowGroupReader group, Parquet.Schema.DataField field, int count)
    {
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var text = new string?[count];
            await group.ReadAsync(field, text.AsMemory());
            return text;
        }
        if (type == typeof(int)) return await Read<int>();
        if (type == typeof(bool)) return await Read<bool>();
        if (type == typeof(decimal)) return await Read<decimal>();
        throw new ExportReadException($"{field.Name}: Parquet type {field.ClrType.Name} is not one an export writes");

        async Task<Array> Read<T>() where T : struct
        {
            var values = new T?[count];
            await group.ReadAsync<T>(field, values.AsMemory());
            return values;
        }
    }

    private static string? Cell(object? value) => value switch
    {
        null => null,
        string text => text.Length > 0 ? text : null,
        bool flag => flag ? "true" : "false",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString(),
    };
}
