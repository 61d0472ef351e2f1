using System.Globalization;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Exports;

/// A cohort filter applied to a release's table: it selects on released values only, so it can never un-generalise
/// a value or bring back a suppressed subject. A label filter keeps the subjects released with one of its labels (a
/// subject released with a wider band or "withheld" does not match a fine label); clinic is never generalised; baseline
/// severity is an analysis variable, released as computed; first-session quarters are finer than anything released, so
/// only whole years (yyyy-Q1 to yyyy-Q4) are accepted, and they keep the subjects whose released year or period lies
/// inside them.
public sealed class ReleasedFilter
{
    private readonly HashSet<string>? _clinics;
    private readonly HashSet<string>?[] _labels;
    private readonly CohortFilter _analysis;
    private readonly int _fromYear = int.MinValue, _toYear = int.MaxValue;
    private readonly bool _years;

    public ReleasedFilter(CohortFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (Validate(filter, "filter") is [var broken, ..]) throw new ArgumentException($"{broken.Field}: {broken.Rule}", nameof(filter));
        _clinics = filter.Clinic is null ? null : new HashSet<string>(filter.Clinic, StringComparer.Ordinal);
        IReadOnlyList<string>?[] lists = [filter.AgeBand, filter.Sex, filter.DiagnosisGroup, filter.PriorFailedTrials, filter.Modality];
        _labels = lists.Select(l => l is null ? null : new HashSet<string>(l, StringComparer.Ordinal)).ToArray();
        _analysis = new CohortFilter { BaselineSeverity = filter.BaselineSeverity };
        if (filter.FirstSessionFrom is null && filter.FirstSessionTo is null) return;
        _years = true;
        if (filter.FirstSessionFrom is { } from) _fromYear = int.Parse(from.AsSpan(0, 4), CultureInfo.InvariantCulture);
        if (filter.FirstSessionTo is { } to) _toYear = int.Parse(to.AsSpan(0, 4), CultureInfo.InvariantCulture);
    }

    /// Rules a filter must keep to select on a release (after CohortFilter.Validate).
    public static IReadOnlyList<DefinitionViolation> Validate(CohortFilter filter, string path)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var violations = new List<DefinitionViolation>();
        if (filter.FirstSessionFrom is { } from && !from.EndsWith("-Q1", StringComparison.Ordinal))
            violations.Add(new DefinitionViolation($"{path}.firstSessionFrom",
                $"an export releases first-session years, not quarters: give the first quarter of a year (yyyy-Q1), got '{from}'"));
        if (filter.FirstSessionTo is { } to && !to.EndsWith("-Q4", StringComparison.Ordinal))
            violations.Add(new DefinitionViolation($"{path}.firstSessionTo",
                $"an export releases first-session years, not quarters: give the last quarter of a year (yyyy-Q4), got '{to}'"));
        return violations;
    }

    /// The part of the filter on values the release keeps exactly (baseline severity), checked on the course itself.
    public bool MatchesAnalysisVariables(CohortMember member) => _analysis.Matches(member);

    /// Whether the released subject passes the filter on its released values.
    public bool MatchesReleased(string clinicId, SubjectAttributes released)
    {
        if (_clinics is not null && !_clinics.Contains(clinicId)) return false;
        var labels = Release.Labels(released);
        for (var i = 0; i < _labels.Length; i++)
            if (_labels[i] is { } allowed && !allowed.Contains(labels[i]!)) return false;
        if (!_years) return true;
        return Release.YearRange(released.FirstSessionYear) is { } range && range.From >= _fromYear && range.To <= _toYear;
    }
}
