using Microsoft.Extensions.Primitives;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Service.Dashboard;

/// The "build a cohort" form's query string as a report definition. Parameter names are the definition's own JSON
/// names (modality, ageBand, ..., firstSessionFrom, groupBy, sections), so a URL reads like the JSON it stands for.
internal static class CohortQuery
{
    public const string Name = "cohort";
    public const string Version = "ad-hoc";

    private static readonly string[] DimensionLabels = CohortDimensions.EnumLabels<CohortDimension>();
    private static readonly string[] SectionLabels = CohortDimensions.EnumLabels<ReportSection>();

    /// The definition and the rules the query itself breaks (names that are not a dimension or a section); the
    /// definition's own rules are checked by its validation afterwards.
    public static (ReportDefinition Definition, IReadOnlyList<DefinitionViolation> Violations) Parse(IReadOnlyDictionary<string, StringValues> query)
    {
        var violations = new List<DefinitionViolation>();
        IReadOnlyList<string>? Labels(string name) =>
            // A typed list ("clinic-a, clinic-b") counts as ticked boxes; no label has a comma in it.
            query.TryGetValue(name, out var values) &&
            values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList() is { Count: > 0 } list
                ? list
                : null;
        string? One(string name) => Labels(name)?[0];

        CohortDimension? groupBy = null;
        if (One("groupBy") is { } by)
        {
            var index = Array.IndexOf(DimensionLabels, by);
            if (index < 0) violations.Add(new DefinitionViolation("groupBy", $"must be one of {string.Join(", ", DimensionLabels)}, got '{by}'"));
            else groupBy = (CohortDimension)index;
        }

        var sections = new List<ReportSection>();
        foreach (var label in Labels("sections") ?? SectionLabels)
        {
            var index = Array.IndexOf(SectionLabels, label);
            if (index < 0) violations.Add(new DefinitionViolation("sections", $"must be among {string.Join(", ", SectionLabels)}, got '{label}'"));
            else if (!sections.Contains((ReportSection)index)) sections.Add((ReportSection)index);
        }

        var filter = new CohortFilter
        {
            Clinic = Labels("clinic"),
            Modality = Labels("modality"),
            AgeBand = Labels("ageBand"),
            Sex = Labels("sex"),
            DiagnosisGroup = Labels("diagnosisGroup"),
            BaselineSeverity = Labels("baselineSeverity"),
            PriorFailedTrials = Labels("priorFailedTrials"),
            FirstSessionFrom = One("firstSessionFrom"),
            FirstSessionTo = One("firstSessionTo"),
        };
        var definition = new ReportDefinition
        {
            Name = Name,
            Version = Version,
            Title = groupBy is { } g ? $"Cohort by {DimensionLabels[(int)g]}" : "Cohort",
            Filter = filter,
            GroupBy = groupBy,
            Options = new ReportOptions
            {
                Sections = sections,
                CoxAdjustedForBaseline = groupBy is not null && One("cox") is "on" or "true",
            },
        };
        return (definition, violations);
    }
}
