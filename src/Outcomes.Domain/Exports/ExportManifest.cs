using System.Text.Json;
using System.Text.Json.Serialization;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Exports;

/// What an export was computed from and what was done to it. Sending it back reproduces the export byte for byte:
/// the same release (position, seed), definitions, cohort, k and generalisation order (Files and the de-identification
/// result are outputs and are ignored on the way in).
public sealed record ExportManifest
{
    public const string CurrentFormatVersion = "outcomes-export-v2";

    public string FormatVersion { get; init; } = CurrentFormatVersion;

    /// "csv" or "parquet".
    public required string Format { get; init; }

    /// The named report the cohort came from (its filter and induction window), or null for an ad-hoc filter.
    public ReportDefinition? Report { get; init; }

    public required CohortFilter Filter { get; init; }

    public required OutcomeDefinitions Definitions { get; init; }

    public required string DefinitionsFingerprint { get; init; }

    /// The release point the export is a subset of: every export of a release comes from one anonymised table. Absent
    /// only from manifests of the first format (per-export anonymisation), which the service refuses by formatVersion.
    public ExportRelease? Release { get; init; }

    /// The release's position: every event with a sequence number up to this one, and no other, was read.
    public required long EventStorePosition { get; init; }

    /// The store's time at that position: the data cut-off the outcomes were derived as of.
    public required DateTimeOffset AsOf { get; init; }

    /// The window the subjects' induction_window_elapsed column was computed for.
    public required int InductionWindowDays { get; init; }

    /// Hexadecimal; the release's seed of the subject ids, clinic codes and day shifts (derived from the release point
    /// under the server's key: the same for every export of the release, another for the next release).
    public required string Seed { get; init; }

    /// "codes" (release-local C01, C02, ...) or "ids" (the clinics' own ids).
    public required string ClinicIdentifiers { get; init; }

    /// A keyed hash of the clinics the caller could see: a re-export must come from the same scope.
    public required string ScopeFingerprint { get; init; }

    public required Deidentification Deidentification { get; init; }

    public IReadOnlyList<ExportFile> Files { get; init; } = [];

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        WriteIndented = true,
        NewLine = "\n",
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions) + "\n";

    public static ExportManifest FromJson(string json) =>
        JsonSerializer.Deserialize<ExportManifest>(json, JsonOptions) ?? throw new JsonException("manifest JSON is null");

    public const string Codes = "codes";
    public const string Ids = "ids";
}

/// The release point of an export.
public sealed record ExportRelease(int Id, long EventStorePosition, DateTimeOffset CutAt);

/// The anonymisation: its parameters (k, the order of generalisation steps), what it did to the release's whole
/// population (every clinic, with the re-identification risk), and what this export holds of it.
public sealed record Deidentification(int K, IReadOnlyList<string> GeneralisationOrder, ReleaseDeidentification Release,
    ExportDeidentification Export);

/// One file of the export with its row count (null for the documents) and SHA-256 (lower-case hex).
public sealed record ExportFile(string Name, long? Rows, string Sha256);
