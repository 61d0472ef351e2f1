using System.Text.Json;
using System.Text.Json.Serialization;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Exports;

/// What an export was computed from and what was done to it. Sending it back reproduces the export byte for byte:
/// the same position, definitions, cohort, seed and k (Files and the de-identification result are outputs and are
/// ignored on the way in).
public sealed record ExportManifest
{
    public const string CurrentFormatVersion = "outcomes-export-v1";

    public string FormatVersion { get; init; } = CurrentFormatVersion;

    /// "csv" or "parquet".
    public required string Format { get; init; }

    /// The named report the cohort came from (its filter and induction window), or null for an ad-hoc filter.
    public ReportDefinition? Report { get; init; }

    public required CohortFilter Filter { get; init; }

    public required OutcomeDefinitions Definitions { get; init; }

    public required string DefinitionsFingerprint { get; init; }

    /// Every event with a sequence number up to this one, and no other, was read.
    public required long EventStorePosition { get; init; }

    /// The store's time at that position: the data cut-off the outcomes were derived as of.
    public required DateTimeOffset AsOf { get; init; }

    /// The window the subjects' induction_window_elapsed column was computed for.
    public required int InductionWindowDays { get; init; }

    /// Hexadecimal; the per-export seed of the subject ids and clinic codes.
    public required string Seed { get; init; }

    /// "codes" (export-local C01, C02, ...) or "ids" (the clinics' own ids).
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

/// The k-anonymity result: k, every generalisation step with the number of subjects it applied to, and how many
/// subjects were left out because their class stayed smaller than k.
public sealed record Deidentification(int K, IReadOnlyList<Release.Generalisation> Generalisations, int SuppressedSubjects, int ReleasedSubjects);

/// One file of the export with its row count (null for the documents) and SHA-256 (lower-case hex).
public sealed record ExportFile(string Name, long? Rows, string Sha256);
