using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Cohorts;

/// The parts of a cohort report beyond the counts, which every report has.
[JsonConverter(typeof(JsonStringEnumConverter<ReportSection>))]
public enum ReportSection
{
    [JsonStringEnumMemberName("counts")] Counts,
    [JsonStringEnumMemberName("response")] Response,
    [JsonStringEnumMemberName("time-to-response")] TimeToResponse,
    [JsonStringEnumMemberName("durability")] Durability,
    [JsonStringEnumMemberName("trajectory")] Trajectory,
    [JsonStringEnumMemberName("item9")] Item9,
}

/// How a report is computed. Defaults follow domain.md: a 6-week induction window. How it is published is not an
/// option of the report but the caller's tier (analytics/methods/disclosure-control.md).
public sealed record ReportOptions
{
    public static IReadOnlyList<ReportSection> AllSections { get; } = Enum.GetValues<ReportSection>();

    /// "By the end of induction": on or before this day since the first session.
    public int InductionWindowDays { get; init; } = 42;

    public IReadOnlyList<ReportSection> Sections { get; init; } = AllSections;

    /// A Cox model of time to response (days) on the groups, adjusted for the baseline PHQ-9 total.
    public bool CoxAdjustedForBaseline { get; init; }

    public IReadOnlyList<int> AtRiskDays { get; init; } = [0, 7, 14, 21, 28, 42, 56, 84];
    public IReadOnlyList<int> AtRiskSessions { get; init; } = [0, 1, 2, 3, 4, 5, 6, 8, 10];

    /// Days from response onset at which the durability curve is read (with its interval).
    public IReadOnlyList<int> DurabilitySurvivalDays { get; init; } = [30, 60, 90];
    public IReadOnlyList<int> DurabilityAtRiskDays { get; init; } = [0, 30, 60, 90];

    /// The attrition funnel counts courses reaching 1, 2, ... sessions; the last step is "this many or more".
    public int FunnelSessions { get; init; } = 6;

    /// Weeks of the trajectory after the baseline (week 0).
    public int TrajectoryWeeks { get; init; } = 12;

    public bool TrajectoryModel { get; init; } = true;

    /// The mixed model is fitted on at most this many courses per group, a deterministic subsample (null: all).
    public int? TrajectoryModelMaxCourses { get; init; } = 1000;

    public bool Includes(ReportSection section) => section == ReportSection.Counts || Sections.Contains(section);
}

/// A named cohort report: which courses, grouped how, computed with which options. Stored as JSON under
/// analytics/reports/, one file per definition named after it.
public sealed partial record ReportDefinition
{
    public string Name { get; init; } = "";
    public string Version { get; init; } = "";
    public string Title { get; init; } = "";
    public string Description { get; init; } = "";
    public CohortFilter Filter { get; init; } = CohortFilter.All;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CohortDimension? GroupBy { get; init; }

    public ReportOptions Options { get; init; } = new();

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        // A typo must not silently fall back to a default.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
    };

    /// Properties definitions once had: naming one gets why it went rather than "unknown property", so a caller
    /// still sending it learns what to change.
    private static readonly Dictionary<string, string> RemovedProperties = new(StringComparer.OrdinalIgnoreCase)
    {
        ["$.options.suppressionThreshold"] =
            "was removed: reports no longer suppress small cells; your own clinics' courses are exact and everything else is " +
            "perturbed by the cell-key method (analytics/methods/disclosure-control.md). Leave it out.",
    };

    /// Reads a definition; unknown and removed properties are rejected (JsonException naming the property). Call
    /// Validate on the result.
    public static ReportDefinition FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<ReportDefinition>(json, JsonOptions) ?? throw new JsonException("report definition JSON is null");
        }
        catch (JsonException e) when (e.Path is { } path && RemovedProperties.TryGetValue(path, out var why))
        {
            throw new JsonException($"{path["$.".Length..]} {why}", path, e.LineNumber, e.BytePositionInLine, e);
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    public static partial Regex NamePattern();

    public IReadOnlyList<DefinitionViolation> Validate()
    {
        var violations = new List<DefinitionViolation>();
        void Check(bool ok, string field, string rule)
        {
            if (!ok) violations.Add(new DefinitionViolation(field, rule));
        }

        Check(Name is not null && NamePattern().IsMatch(Name), "name",
            $"must be 2-64 lower-case letters, digits or '-', starting with a letter or digit, got '{Name}'");
        Check(!string.IsNullOrWhiteSpace(Version), "version", "is required");
        Check(!string.IsNullOrWhiteSpace(Title), "title", "is required");
        Check(Description is not null, "description", "must be a string (may be empty)");
        if (Filter is null) Check(false, "filter", "is required ({} keeps every course)");
        else violations.AddRange(Filter.Validate());
        Check(GroupBy is null || Enum.IsDefined(GroupBy.Value), "groupBy",
            $"must be one of {string.Join(", ", CohortDimensions.EnumLabels<CohortDimension>())}");
        if (Options is null)
        {
            Check(false, "options", "is required ({} takes every default)");
            return violations;
        }

        var o = Options;
        Check(o.InductionWindowDays is >= 1 and <= 365, "options.inductionWindowDays", $"must be 1-365, got {o.InductionWindowDays}");
        if (o.Sections is null) Check(false, "options.sections", "is required");
        else
        {
            for (var i = 0; i < o.Sections.Count; i++)
            {
                Check(Enum.IsDefined(o.Sections[i]), $"options.sections[{i}]",
                    $"must be one of {string.Join(", ", CohortDimensions.EnumLabels<ReportSection>())}");
                Check(!o.Sections.Take(i).Contains(o.Sections[i]), $"options.sections[{i}]", "is listed twice");
            }
        }
        Check(!o.CoxAdjustedForBaseline || GroupBy is not null, "options.coxAdjustedForBaseline",
            "needs groupBy: the hazard ratios compare groups");
        CheckTimes(o.AtRiskDays, "options.atRiskDays", 0, 3650);
        CheckTimes(o.AtRiskSessions, "options.atRiskSessions", 0, 1000);
        CheckTimes(o.DurabilitySurvivalDays, "options.durabilitySurvivalDays", 1, 3650);
        CheckTimes(o.DurabilityAtRiskDays, "options.durabilityAtRiskDays", 0, 3650);
        Check(o.FunnelSessions is >= 1 and <= 50, "options.funnelSessions", $"must be 1-50, got {o.FunnelSessions}");
        Check(o.TrajectoryWeeks is >= 1 and <= 104, "options.trajectoryWeeks", $"must be 1-104, got {o.TrajectoryWeeks}");
        Check(o.TrajectoryModelMaxCourses is null or >= 10, "options.trajectoryModelMaxCourses",
            $"must be at least 10, or null for every course, got {o.TrajectoryModelMaxCourses}");
        return violations;

        void CheckTimes(IReadOnlyList<int>? times, string field, int min, int max)
        {
            if (times is null)
            {
                Check(false, field, "is required ([] for none)");
                return;
            }
            for (var i = 0; i < times.Count; i++)
            {
                Check(times[i] >= min && times[i] <= max, $"{field}[{i}]", $"must be {min}-{max}, got {times[i]}");
                Check(!times.Take(i).Contains(times[i]), $"{field}[{i}]", $"{times[i]} is listed twice");
            }
        }
    }
}
