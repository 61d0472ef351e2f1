using System.Text.Json;
using Outcomes.Domain.Cohorts;

namespace Outcomes.Domain.Tests.Cohorts;

public class ReportDefinitionTests
{
    private static readonly string ReportsFolder = Path.Combine(RepositoryRoot(), "analytics", "reports");

    [Fact]
    public void FullDefinition_RoundTripsThroughJson()
    {
        var definition = new ReportDefinition
        {
            Name = "onset-by-clinic",
            Version = "3",
            Title = "Onset by clinic",
            Description = "x",
            Filter = new CohortFilter
            {
                Clinic = ["clinic-a", "clinic-b"], AgeBand = ["18-24", "90+"], PriorFailedTrials = ["3+"],
                BaselineSeverity = ["severe"], FirstSessionFrom = "2025-Q2", FirstSessionTo = "2026-Q1",
            },
            GroupBy = CohortDimension.Clinic,
            Options = new ReportOptions
            {
                InductionWindowDays = 28, Sections = [ReportSection.TimeToResponse],
                CoxAdjustedForBaseline = true, AtRiskDays = [0, 14], TrajectoryModelMaxCourses = null,
            },
        };

        var json = definition.ToJson();
        var back = ReportDefinition.FromJson(json);

        Assert.Equal(json, back.ToJson());
        Assert.Empty(back.Validate());
        Assert.Null(back.Options.TrajectoryModelMaxCourses);
        Assert.Contains("\"groupBy\": \"clinic\"", json);
        Assert.Contains("\"time-to-response\"", json);
    }

    [Fact]
    public void AbsentOptions_TakeTheDomainDefaults()
    {
        var definition = ReportDefinition.FromJson("""{ "name": "x1", "version": "1", "title": "T", "filter": {}, "options": {} }""");

        Assert.Empty(definition.Validate());
        Assert.Equal(42, definition.Options.InductionWindowDays);
        Assert.Equal(ReportOptions.AllSections, definition.Options.Sections);
        Assert.Null(definition.GroupBy);
    }

    [Theory]
    [InlineData("""{ "name": "x1", "version": "1", "title": "T", "grupBy": "sex" }""", "grupBy")]
    [InlineData("""{ "name": "x1", "version": "1", "title": "T", "options": { "suppresionThreshold": 5 } }""", "suppresionThreshold")]
    [InlineData("""{ "name": "x1", "version": "1", "title": "T", "filter": { "modalities": ["iv-ketamine"] } }""", "modalities")]
    public void UnknownProperty_IsRejected(string json, string property)
    {
        var error = Assert.Throws<JsonException>(() => ReportDefinition.FromJson(json));

        Assert.Contains(property, error.Message);
    }

    [Fact]
    public void RemovedSuppressionThreshold_IsRejected_SayingItWasRemoved()
    {
        // Definitions written for small-cell suppression still name it; "unknown property" would not say what changed.
        var error = Assert.Throws<JsonException>(() => ReportDefinition.FromJson(
            """{ "name": "x1", "version": "1", "title": "T", "options": { "inductionWindowDays": 42, "suppressionThreshold": 11 } }"""));

        Assert.Equal("$.options.suppressionThreshold", error.Path);
        Assert.StartsWith("options.suppressionThreshold was removed", error.Message, StringComparison.Ordinal);
        Assert.Contains("disclosure-control.md", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownGroupBy_IsRejected()
    {
        Assert.Throws<JsonException>(() => ReportDefinition.FromJson("""{ "name": "x1", "groupBy": "postcode" }"""));
    }

    [Fact]
    public void BrokenRules_AreEachNamedByFieldAndRule()
    {
        var definition = new ReportDefinition
        {
            Name = "Bad Name",
            Title = "",
            Filter = new CohortFilter { Modality = ["ketamine"], AgeBand = [], FirstSessionFrom = "2026-Q3", FirstSessionTo = "2026-Q1", Clinic = ["A!"] },
            Options = new ReportOptions
            {
                InductionWindowDays = 0, CoxAdjustedForBaseline = true, AtRiskDays = [7, 7, -1],
                Sections = [ReportSection.Durability, ReportSection.Durability], FunnelSessions = 0, TrajectoryWeeks = 200,
                TrajectoryModelMaxCourses = 3, DurabilitySurvivalDays = [0],
            },
        };

        var fields = definition.Validate().Select(v => v.Field).ToList();

        Assert.Equal(
        [
            "name", "version", "title", "filter.clinic[0]", "filter.modality[0]", "filter.ageBand", "filter.firstSessionTo",
            "options.inductionWindowDays", "options.sections[1]", "options.coxAdjustedForBaseline",
            "options.atRiskDays[1]", "options.atRiskDays[2]", "options.durabilitySurvivalDays[0]", "options.funnelSessions",
            "options.trajectoryWeeks", "options.trajectoryModelMaxCourses",
        ], fields);
    }

    [Fact]
    public void ViolationRule_SaysWhatIsAllowed()
    {
        var definition = ReportDefinition.FromJson(
            """{ "name": "x1", "version": "1", "title": "T", "filter": { "priorFailedTrials": ["4"] } }""");

        var violation = Assert.Single(definition.Validate());

        Assert.Equal("filter.priorFailedTrials[0]", violation.Field);
        Assert.Contains("0-1, 2, 3+", violation.Rule);
    }

    [Fact]
    public void NullSections_AreReportedNotThrown()
    {
        var definition = ReportDefinition.FromJson("""{ "name": "x1", "version": "1", "title": "T", "filter": null, "options": null }""");

        Assert.Equal(["filter", "options"], definition.Validate().Select(v => v.Field));
    }

    [Fact]
    public void RepositoryDefinitions_AllLoadAndValidate()
    {
        var (catalog, problems) = ReportCatalog.LoadFolder(ReportsFolder);

        Assert.Empty(problems);
        Assert.Equal(["durability-by-baseline-severity", "onset-by-modality", "outcomes-by-modality", "overview", "response-by-prior-trials"], catalog.Names);
        Assert.Equal(CohortDimension.Modality, catalog.Find("onset-by-modality")!.GroupBy);
        Assert.True(catalog.Find("onset-by-modality")!.Options.CoxAdjustedForBaseline);
        Assert.Equal(["moderate", "moderately-severe", "severe"], catalog.Find("durability-by-baseline-severity")!.Filter.BaselineSeverity!);
        Assert.Null(catalog.Find("no-such-report"));
    }

    [Fact]
    public void Catalog_LeavesOutBadFilesAndSaysWhy()
    {
        var good = """{ "name": "good", "version": "1", "title": "T" }""";
        var (catalog, problems) = ReportCatalog.Load(
        [
            ("good.json", good),
            ("renamed.json", good),
            ("broken.json", """{ "name": "broken", "version": """),
            ("invalid.json", """{ "name": "invalid", "version": "1", "title": "T", "options": { "funnelSessions": 0 } }"""),
        ]);

        Assert.Equal(["good"], catalog.Names);
        Assert.Equal(
            [("renamed.json", "name"), ("broken.json", "$.version"), ("invalid.json", "options.funnelSessions")],
            problems.Select(p => (p.File, p.Field)));
        Assert.Contains("must match the file name 'renamed'", problems[0].Rule);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Outcomes.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Outcomes.sln not found above the test binaries");
    }
}
