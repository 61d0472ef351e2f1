using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Outcomes.Domain.Courses;

namespace Outcomes.Domain.Outcomes;

/// Which rule ends a response in the durability analysis.
public enum DurabilityDefinition
{
    /// Consecutive assessments no longer meeting response (domain.md default).
    LossOfResponse,

    /// Consecutive assessments at or above a relapse total, a bounded number of days apart (SUSTAIN-1 analogue).
    Relapse,
}

/// Where a non-responder's time to response is censored.
public enum NonResponderCensoring
{
    /// At the last post-baseline assessment: the last time non-response was observed.
    LastAssessment,

    /// At the later of the last post-baseline assessment and the course end (sensitivity option).
    LaterOfLastAssessmentAndCourseEnd,
}

public sealed record DefinitionViolation(string Field, string Rule);

/// Every threshold of the outcome definitions (domain.md), as data: a report names the Id and Version it used,
/// and changing a threshold means new configuration with a new Version, never new code.
/// Day gaps are differences of UTC calendar days; "consecutive" means adjacent in the one-per-day assessment series.
public sealed record OutcomeDefinitions
{
    public static OutcomeDefinitions Default { get; } = new();

    public string Id { get; init; } = "default";
    public string Version { get; init; } = "outcomes-v1";

    /// Baseline: the last PHQ-9 on or before the first session, at most this many days before it.
    public int BaselineWindowDays { get; init; } = 14;

    /// Eligible for response analyses when the baseline total is at least this (CMS159: PHQ-9 > 9).
    public int EligibilityMinimumBaseline { get; init; } = 10;

    /// Response: a post-baseline total at least this fraction below baseline (0.5: a drop of >= 50%).
    public double ResponseMinimumDropFraction { get; init; } = 0.5;

    /// Remission: a post-baseline total strictly below this (CMS159, ICSI: < 5).
    public int RemissionBelowTotal { get; init; } = 5;

    public int LossOfResponseConsecutiveAssessments { get; init; } = 2;
    public int LossOfResponseMinimumGapDays { get; init; } = 5;

    public int RelapseMinimumTotal { get; init; } = 10;
    public int RelapseConsecutiveAssessments { get; init; } = 2;
    public int RelapseMinimumGapDays { get; init; } = 5;
    public int RelapseMaximumGapDays { get; init; } = 15;

    public int SustainedResponseConsecutiveAssessments { get; init; } = 2;
    public int SustainedResponseMinimumGapDays { get; init; } = 7;

    /// NHS Talking Therapies reliable improvement on the PHQ-9.
    public int ReliableImprovementMinimumDrop { get; init; } = 6;

    /// Minimal clinically important individual change (Lowe et al. 2004).
    public int MinimalClinicallyImportantDrop { get; init; } = 5;

    /// "Response by the end of induction": onset on or before this day since the first session.
    public int InductionWindowDays { get; init; } = 42;

    public DurabilityDefinition Durability { get; init; } = DurabilityDefinition.LossOfResponse;
    public NonResponderCensoring NonResponderCensoring { get; init; } = NonResponderCensoring.LastAssessment;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter() },
    };

    /// Reads definitions from JSON; absent fields keep their defaults, unknown fields are rejected (a typo must not
    /// silently fall back to a default). Call Validate on the result.
    public static OutcomeDefinitions FromJson(string json) =>
        JsonSerializer.Deserialize<OutcomeDefinitions>(json, JsonOptions)
        ?? throw new JsonException("outcome definitions JSON is null");

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// A short hash of every threshold, so two reports can be seen to share definitions even if a Version was
    /// reused by mistake.
    public string Fingerprint()
    {
        var thresholds = this with { Id = "", Version = "" };
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(thresholds.ToJson()));
        return Convert.ToHexStringLower(hash, 0, 8);
    }

    public IReadOnlyList<DefinitionViolation> Validate()
    {
        var violations = new List<DefinitionViolation>();
        void Check(bool ok, string field, string rule)
        {
            if (!ok) violations.Add(new DefinitionViolation(field, rule));
        }

        Check(!string.IsNullOrWhiteSpace(Id), nameof(Id), "is required");
        Check(!string.IsNullOrWhiteSpace(Version), nameof(Version), "is required");
        Check(BaselineWindowDays >= 0, nameof(BaselineWindowDays), $"must be >= 0, got {BaselineWindowDays}");
        // Below 1 a zero baseline would be eligible, and no drop from zero is possible.
        Check(EligibilityMinimumBaseline is >= 1 and <= Phq9Score.MaxTotal, nameof(EligibilityMinimumBaseline),
            $"must be 1-{Phq9Score.MaxTotal}, got {EligibilityMinimumBaseline}");
        Check(ResponseMinimumDropFraction is > 0 and <= 1, nameof(ResponseMinimumDropFraction),
            $"must be > 0 and <= 1, got {ResponseMinimumDropFraction}");
        Check(RemissionBelowTotal is >= 1 and <= Phq9Score.MaxTotal + 1, nameof(RemissionBelowTotal),
            $"must be 1-{Phq9Score.MaxTotal + 1}, got {RemissionBelowTotal}");

        CheckRun(nameof(LossOfResponseConsecutiveAssessments), LossOfResponseConsecutiveAssessments,
            nameof(LossOfResponseMinimumGapDays), LossOfResponseMinimumGapDays);
        CheckRun(nameof(RelapseConsecutiveAssessments), RelapseConsecutiveAssessments,
            nameof(RelapseMinimumGapDays), RelapseMinimumGapDays);
        CheckRun(nameof(SustainedResponseConsecutiveAssessments), SustainedResponseConsecutiveAssessments,
            nameof(SustainedResponseMinimumGapDays), SustainedResponseMinimumGapDays);
        Check(RelapseMaximumGapDays >= RelapseMinimumGapDays, nameof(RelapseMaximumGapDays),
            $"must be >= {nameof(RelapseMinimumGapDays)} ({RelapseMinimumGapDays}), got {RelapseMaximumGapDays}");
        Check(RelapseMinimumTotal is >= 1 and <= Phq9Score.MaxTotal, nameof(RelapseMinimumTotal),
            $"must be 1-{Phq9Score.MaxTotal}, got {RelapseMinimumTotal}");

        Check(ReliableImprovementMinimumDrop is >= 1 and <= Phq9Score.MaxTotal, nameof(ReliableImprovementMinimumDrop),
            $"must be 1-{Phq9Score.MaxTotal}, got {ReliableImprovementMinimumDrop}");
        Check(MinimalClinicallyImportantDrop is >= 1 and <= Phq9Score.MaxTotal, nameof(MinimalClinicallyImportantDrop),
            $"must be 1-{Phq9Score.MaxTotal}, got {MinimalClinicallyImportantDrop}");
        Check(InductionWindowDays >= 0, nameof(InductionWindowDays), $"must be >= 0, got {InductionWindowDays}");
        Check(Enum.IsDefined(Durability), nameof(Durability), $"must be one of {string.Join(", ", Enum.GetNames<DurabilityDefinition>())}");
        Check(Enum.IsDefined(NonResponderCensoring), nameof(NonResponderCensoring),
            $"must be one of {string.Join(", ", Enum.GetNames<NonResponderCensoring>())}");
        return violations;

        void CheckRun(string countField, int count, string gapField, int gap)
        {
            Check(count >= 1, countField, $"must be >= 1, got {count}");
            Check(gap >= 0, gapField, $"must be >= 0, got {gap}");
            // One assessment spans no days, so any positive gap could never be met.
            Check(count != 1 || gap == 0, gapField, $"must be 0 when {countField} is 1, got {gap}");
        }
    }
}
