using System.Text.Json.Serialization;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Cohorts;

/// Which courses a report covers: on each dimension, the labels to keep (omitted: all), and a range of first-session
/// quarters ("2025-Q1" to "2026-Q4", both ends inclusive, either may be omitted). Dimensions combine with AND,
/// labels within one dimension with OR.
public sealed record CohortFilter
{
    public static CohortFilter All { get; } = new();

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Clinic { get; init; }
    /// Clinics left out (a clinic beside "the rest of the network").
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? ExcludeClinic { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Modality { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? AgeBand { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Sex { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? DiagnosisGroup { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? BaselineSeverity { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? PriorFailedTrials { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FirstSessionFrom { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FirstSessionTo { get; init; }

    /// Whether the course passes. Check Validate first: labels that name nothing simply match nothing.
    public bool Matches(CohortMember member) => Compile().Matches(member);

    public IReadOnlyList<DefinitionViolation> Validate(string path = "filter")
    {
        var violations = new List<DefinitionViolation>();
        for (var i = 0; i < (ExcludeClinic?.Count ?? 0); i++)
            if (ExcludeClinic![i] is not { } clinic || !Contracts.ContractLimits.IsClinicId(clinic))
                violations.Add(new DefinitionViolation($"{path}.excludeClinic[{i}]",
                    $"'{ExcludeClinic[i]}' is not a clinic id (lower-case letters, digits and '-', 2-40 characters)"));
        foreach (var (dimension, name, labels) in LabelLists())
        {
            if (labels is null) continue;
            var field = $"{path}.{name}";
            if (labels.Count == 0)
            {
                violations.Add(new DefinitionViolation(field, "must list at least one label, or be left out to keep every course"));
                continue;
            }
            var known = CohortDimensions.FixedLabels(dimension);
            for (var i = 0; i < labels.Count; i++)
            {
                var label = labels[i];
                var ok = dimension == CohortDimension.Clinic
                    ? Contracts.ContractLimits.IsClinicId(label)
                    : label is not null && known!.Contains(label, StringComparer.Ordinal);
                if (!ok)
                    violations.Add(new DefinitionViolation($"{field}[{i}]", dimension == CohortDimension.Clinic
                        ? $"'{label}' is not a clinic id (lower-case letters, digits and '-', 2-40 characters)"
                        : $"'{label}' is not one of {string.Join(", ", known!)}"));
            }
        }

        var from = CheckPeriod(FirstSessionFrom, $"{path}.firstSessionFrom", violations);
        var to = CheckPeriod(FirstSessionTo, $"{path}.firstSessionTo", violations);
        if (from is not null && to is not null && from > to)
            violations.Add(new DefinitionViolation($"{path}.firstSessionTo",
                $"must not be before firstSessionFrom ({FirstSessionFrom}), got {FirstSessionTo}"));
        return violations;
    }

    internal CompiledFilter Compile() => new(this);

    internal IEnumerable<(CohortDimension Dimension, string Name, IReadOnlyList<string>? Labels)> LabelLists()
    {
        yield return (CohortDimension.Clinic, "clinic", Clinic);
        yield return (CohortDimension.Modality, "modality", Modality);
        yield return (CohortDimension.AgeBand, "ageBand", AgeBand);
        yield return (CohortDimension.Sex, "sex", Sex);
        yield return (CohortDimension.DiagnosisGroup, "diagnosisGroup", DiagnosisGroup);
        yield return (CohortDimension.BaselineSeverity, "baselineSeverity", BaselineSeverity);
        yield return (CohortDimension.PriorFailedTrials, "priorFailedTrials", PriorFailedTrials);
    }

    private static int? CheckPeriod(string? label, string field, List<DefinitionViolation> violations)
    {
        if (label is null) return null;
        if (CohortDimensions.TryParsePeriod(label, out var year, out var quarter))
            return CohortDimensions.PeriodCode(year, quarter);
        violations.Add(new DefinitionViolation(field, $"must be a year and quarter such as 2026-Q1, got '{label}'"));
        return null;
    }
}

/// A filter turned into lookups by code, so matching 300,000 courses allocates nothing.
internal sealed class CompiledFilter
{
    private readonly HashSet<string>? _clinics;
    private readonly HashSet<string>? _excluded;
    private readonly (CohortDimension Dimension, bool[] Allowed)[] _coded;
    private readonly int _fromPeriod = int.MinValue;
    private readonly int _toPeriod = int.MaxValue;

    public CompiledFilter(CohortFilter filter)
    {
        var coded = new List<(CohortDimension, bool[])>();
        if (filter.ExcludeClinic is { } excluded) _excluded = new HashSet<string>(excluded, StringComparer.Ordinal);
        foreach (var (dimension, _, labels) in filter.LabelLists())
        {
            if (labels is null) continue;
            if (dimension == CohortDimension.Clinic)
            {
                _clinics = new HashSet<string>(labels, StringComparer.Ordinal);
                continue;
            }
            var known = CohortDimensions.FixedLabels(dimension)!;
            var allowed = new bool[known.Count];
            for (var code = 0; code < known.Count; code++) allowed[code] = labels.Contains(known[code], StringComparer.Ordinal);
            coded.Add((dimension, allowed));
        }
        _coded = [.. coded];
        if (filter.FirstSessionFrom is null && filter.FirstSessionTo is null) return;
        // A period range keeps only courses that have a first session.
        _toPeriod = CohortDimensions.NoSessionCode - 1;
        if (CohortDimensions.TryParsePeriod(filter.FirstSessionFrom, out var y1, out var q1)) _fromPeriod = CohortDimensions.PeriodCode(y1, q1);
        if (CohortDimensions.TryParsePeriod(filter.FirstSessionTo, out var y2, out var q2)) _toPeriod = CohortDimensions.PeriodCode(y2, q2);
    }

    public bool Matches(CohortMember member)
    {
        if (_clinics is not null && !_clinics.Contains(member.ClinicId)) return false;
        if (_excluded is not null && _excluded.Contains(member.ClinicId)) return false;
        foreach (var (dimension, allowed) in _coded)
            if (!allowed[CohortDimensions.Code(member, dimension)]) return false;
        if (_fromPeriod == int.MinValue && _toPeriod == int.MaxValue) return true;
        var period = CohortDimensions.Code(member, CohortDimension.FirstSessionPeriod);
        return period >= _fromPeriod && period <= _toPeriod;
    }
}
