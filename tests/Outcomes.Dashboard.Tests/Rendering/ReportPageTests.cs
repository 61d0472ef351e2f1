using Microsoft.Extensions.Primitives;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Disclosure;
using Outcomes.Domain.Outcomes;
using Outcomes.Domain.Tests.Cohorts;
using Outcomes.Service.Dashboard;

namespace Outcomes.Dashboard.Tests.Rendering;

/// Whole report pages over reports computed and published by the domain, as the service publishes them.
public sealed class ReportPageTests
{
    /// Three modalities: two large, one with 8 courses, over every section, with a Cox model, published exactly.
    private static PublishedCohortReport Exact(string title = "Onset by modality")
    {
        var members = CohortTestData.Random(400, seed: 7, modalities: 2);
        members.AddRange(CohortTestData.Random(8, seed: 8, modalities: 1)
            .Select((m, i) => m with
            {
                Course = new Outcomes.Domain.Courses.CourseKey(m.ClinicId, $"small{i}", 1),
                Attributes = m.Attributes! with { Modality = Outcomes.Domain.Courses.Modality.IntranasalEsketamine },
            }));
        var definition = CohortTestData.Definition(CohortDimension.Modality, new ReportOptions { CoxAdjustedForBaseline = true }) with
        {
            Title = title,
            Description = "Every section, by modality.",
        };
        return ReportDisclosure.OwnClinics(members, definition, CohortTestData.Provenance);
    }

    /// The same with the 8-course group withheld whole. No tier withholds a whole group today, but the page still
    /// renders one with its reason, so that state is made here by hand.
    private static PublishedCohortReport Report(string title = "Onset by modality")
    {
        var exact = Exact(title);
        return exact with
        {
            Groups = [.. exact.Groups.Select(g => g.Group == "intranasal-esketamine"
                ? new PublishedGroup(g.Group, SuppressionReason.Protected, null, null, null, null, null, null)
                : g)],
        };
    }

    [Fact]
    public void OwnClinicsReport_TheSmallGroupsCountsAreShown_NothingWithheld()
    {
        var report = Exact();

        var html = ReportPage.Body(report, "clinic-a");

        Assert.Equal(8, report.Groups.Single(g => g.Group == "intranasal-esketamine").Counts!.Enrolled.Value);
        Assert.Contains("<tr data-group=\"intranasal-esketamine\"><th scope=\"row\" class=\"group\">intranasal-esketamine</th><td class=\"enrolled\">" +
                        "<span class=\"count\">8</span>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"withheld\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ResponseSection_DrawsEveryRateOfTheTable_ResponseBySession6Too()
    {
        var html = ReportPage.Body(Report(), "clinic-a");

        foreach (var measure in Measures.Rates)
            Assert.Contains($"data-measure=\"{measure.Title}\"", html, StringComparison.Ordinal);
        Assert.Contains("data-measure=\"Response by session 6\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void RatesTable_TheChartsNumbers_AWithheldGroupStatesItsReason()
    {
        var report = Report();
        var html = ReportPage.Body(report, "clinic-a");
        string Row(PublishedGroup group) => System.Text.RegularExpressions.Regex.Match(html,
            $"<tr data-measure=\"Response ever\" data-group=\"{Markup.GroupName(group.Group)}\">(.*?)</tr>").Groups[1].Value;

        var shown = report.Groups.First(g => g.Withheld is null && g.Response![Measures.ResponseEver].Estimate is not null);
        var rate = shown.Response![Measures.ResponseEver];
        Assert.Contains($"{Markup.Percent(rate.Estimate)} <span class=\"interval\">({Markup.Percent(rate.Lower)} to {Markup.Percent(rate.Upper)})</span>",
            Row(shown), StringComparison.Ordinal);
        Assert.Contains($"{Markup.Count(rate.Events)} of {Markup.Count(rate.N)}", Row(shown), StringComparison.Ordinal);
        // The same figures as the chart's text beside the bar.
        Assert.Contains($"{Markup.Percent(rate.Estimate)} ({Markup.Percent(rate.Lower)} to {Markup.Percent(rate.Upper)})", html, StringComparison.Ordinal);

        var withheld = report.Groups.First(g => g.Withheld is not null);
        Assert.Contains("withheld: protected", Row(withheld), StringComparison.Ordinal);
        Assert.Empty(PageText.NumbersReadAsCounts(Row(withheld)));
    }

    [Fact]
    public void CountScan_FindsACountOutsideALabel()
    {
        var html = $"<p>week <span class=\"num-label\">3</span>: {Markup.Count(Cell.Of(7))} of 0.5 and v1</p>";

        Assert.Equal([7], PageText.NumbersReadAsCounts(html));
    }

    [Fact]
    public void CountsAreThePublishedOnes()
    {
        var report = Report();
        var html = ReportPage.Body(report, "clinic-a");

        var enrolled = System.Text.RegularExpressions.Regex.Matches(html,
            "<tr data-group=\"([^\"]+)\"><th[^>]*>[^<]*</th><td class=\"enrolled\"><span class=\"count\">(\\d+)</span>")
            .ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value));
        Assert.Equal(report.Overall.Counts!.Enrolled.Value, enrolled["All courses"]);
        var groups = report.Groups.Where(g => g.Withheld is null).ToList();
        Assert.NotEmpty(groups);
        foreach (var group in groups) Assert.Equal(group.Counts!.Enrolled.Value, enrolled[group.Group!]);
    }

    [Fact]
    public void EveryShownGroupHasACurve_TheWithheldOneItsReason()
    {
        var report = Report();
        var html = ReportPage.Body(report, "clinic-a");

        var days = PageText.Charts(html).Single(c => (string?)c.Attribute("id") == "km-onset-days");
        var shown = report.Groups.Where(g => g.Withheld is null && g.TimeToResponse!.Days.Withheld is null).Select(g => g.Group!).ToList();
        Assert.NotEmpty(shown);
        Assert.Equal(shown, PageText.WithClass(days, "km-curve").Select(c => (string)c.Attribute("data-group")!));
        Assert.Contains("<tr data-group=\"intranasal-esketamine\"><th scope=\"row\" class=\"group\">intranasal-esketamine</th><td colspan=\"9\">" +
                        "<span class=\"withheld\" data-reason=\"protected\">withheld: protected</span>", html);
    }

    [Fact]
    public void AtRiskNumbersAreTheReportsNumbersAtRisk()
    {
        var report = Report();
        var html = ReportPage.Body(report, "clinic-a");

        var days = PageText.Charts(html).Single(c => (string?)c.Attribute("id") == "km-onset-days");
        foreach (var group in report.Groups.Where(g => g.Withheld is null && g.TimeToResponse!.Days.Withheld is null))
        {
            var row = PageText.WithClass(days, "at-risk-row").Single(r => (string?)r.Attribute("data-group") == group.Group);
            Assert.Equal(group.TimeToResponse!.Days.AtRisk.Where(a => a.AtRisk.Value is not null).Select(a => a.AtRisk.Value!.Value),
                PageText.WithClass(row, "count").Select(c => int.Parse(c.Value)));
        }
    }

    [Fact]
    public void Footer_StatesDefinitionsReportPositionAsOfAndTier()
    {
        var html = ReportPage.Body(Report(), "clinic-a");

        Assert.Contains("data-position=\"4242\"", html);
        Assert.Contains("default version <span class=\"num-label\">outcomes-v1</span>", html);
        Assert.Contains("test-report version <span class=\"num-label\">1</span>", html);
        Assert.Contains("data-tier=\"your own clinics, exact\"", html);
        Assert.DoesNotContain("<dt>Perturbation</dt>", html);
        Assert.Contains("datetime=\"2029-03-04T00:00:00.0000000+00:00\"", html);
    }

    [Fact]
    public void ProtectedFooter_StatesTheNoiseGridsAndModelFloorInWords_AndTheRelease()
    {
        var parameters = new PerturbationParameters();
        var keys = new RecordKeys(Enumerable.Range(1, 32).Select(i => (byte)(i * 5)).ToArray());
        var release = new ReleasePoint(3, 4242, new DateTimeOffset(2029, 2, 28, 23, 0, 0, TimeSpan.Zero));
        var report = ReportDisclosure.Protected(CohortTestData.Random(200, seed: 9, modalities: 2), CohortTestData.Definition(CohortDimension.Modality),
            CohortTestData.Provenance, keys, parameters, release);

        var html = ReportPage.Body(report, "clinic-a");
        var footer = System.Text.RegularExpressions.Regex.Match(html, "<footer class=\"provenance\">.*</footer>").Value;

        Assert.Contains("data-tier=\"protected (cell-key perturbation)\"", footer, StringComparison.Ordinal);
        Assert.Contains($"moved by at most {parameters.MaximumCountNoise} up or down", footer, StringComparison.Ordinal);
        Assert.Contains($"standard deviation of {parameters.SumNoiseStandardDeviation} points", footer, StringComparison.Ordinal);
        Assert.Contains($"every {parameters.TimeToResponseGridDays} days up to day {parameters.TimeToResponseGridEndDays}", footer, StringComparison.Ordinal);
        Assert.Contains($"every {parameters.DurabilityGridDays} days up to day {parameters.DurabilityGridEndDays}", footer, StringComparison.Ordinal);
        Assert.Contains($"at least {parameters.MinimumModelCourses} courses", footer, StringComparison.Ordinal);
        Assert.Contains("data-release=\"3\"", footer, StringComparison.Ordinal);
    }

    [Fact]
    public void ProtectedCohortUnderTheMinimumBase_PageSaysTheWholeCohortIsWithheld_NoSectionsDrawn()
    {
        var keys = new RecordKeys(Enumerable.Range(1, 32).Select(i => (byte)(i * 5)).ToArray());
        // Two courses: under the minimum base whatever their keys (a count of 2 publishes as 4 at most).
        var report = ReportDisclosure.Protected(CohortTestData.Random(2, seed: 9, modalities: 2), CohortTestData.Definition(CohortDimension.Modality),
            CohortTestData.Provenance, keys, new PerturbationParameters(), null);
        Assert.Equal(SuppressionReason.Protected, report.Overall.Withheld);

        var html = ReportPage.Body(report, "clinic-a");

        Assert.Contains("class=\"cohort-withheld\"", html, StringComparison.Ordinal);
        Assert.Contains("fewer than <span class=\"num-label\">5</span> courses", html, StringComparison.Ordinal);
        Assert.DoesNotContain("funnel-chart", html, StringComparison.Ordinal);
        Assert.Contains("<footer class=\"provenance\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public void TitleAndDescription_Escaped()
    {
        var html = ReportPage.Body(Report("<img src=x onerror=alert(1)>"), "<b>clinic</b>");

        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("<b>", html);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html);
    }

    [Fact]
    public void EveryChart_IsWellFormedWithTitleAndDescription()
    {
        var charts = PageText.Charts(ReportPage.Body(Report(), "clinic-a"));

        Assert.Equal(6, charts.Count);
        Assert.All(charts, c =>
        {
            Assert.False(string.IsNullOrWhiteSpace(c.Element(PageText.SvgNs + "title")?.Value));
            Assert.False(string.IsNullOrWhiteSpace(c.Element(PageText.SvgNs + "desc")?.Value));
        });
    }

    [Fact]
    public void CohortQuery_FormFieldsBecomeTheDefinition()
    {
        var query = new Dictionary<string, StringValues>
        {
            ["modality"] = new(["iv-ketamine", "intranasal-esketamine"]),
            ["clinic"] = "clinic-a, clinic-b",
            ["priorFailedTrials"] = "3+",
            ["firstSessionFrom"] = "2026-Q1",
            ["firstSessionTo"] = "",
            ["groupBy"] = "age-band",
            ["sections"] = new(["counts", "durability"]),
            ["cox"] = "on",
        };

        var (definition, violations) = CohortQuery.Parse(query);

        Assert.Empty(violations);
        Assert.Empty(definition.Validate());
        Assert.Equal(["iv-ketamine", "intranasal-esketamine"], definition.Filter.Modality!);
        Assert.Equal(["clinic-a", "clinic-b"], definition.Filter.Clinic!);
        Assert.Equal(["3+"], definition.Filter.PriorFailedTrials!);
        Assert.Equal("2026-Q1", definition.Filter.FirstSessionFrom);
        Assert.Null(definition.Filter.FirstSessionTo);
        Assert.Null(definition.Filter.Sex);
        Assert.Equal(CohortDimension.AgeBand, definition.GroupBy);
        Assert.Equal([ReportSection.Counts, ReportSection.Durability], definition.Options.Sections);
        Assert.True(definition.Options.CoxAdjustedForBaseline);
    }

    [Fact]
    public void CohortQuery_UnknownGroupByAndLabel_NamedWithTheirRule()
    {
        var (definition, violations) = CohortQuery.Parse(new Dictionary<string, StringValues>
        {
            ["groupBy"] = "shoe-size",
            ["modality"] = "laughing-gas",
        });

        Assert.Contains(violations, v => v.Field == "groupBy" && v.Rule.Contains("'shoe-size'"));
        Assert.Contains(definition.Validate(), v => v.Field == "filter.modality[0]");
    }

    [Theory]
    [InlineData("/dashboard/reports/overview?clinicId=clinic-a", true)]
    [InlineData("/dashboard", true)]
    [InlineData("https://elsewhere.example/dashboard", false)]
    [InlineData("//elsewhere.example/dashboard", false)]
    [InlineData("/dashboardx", false)]
    [InlineData("/dashboard/sign-in", false)]
    [InlineData("/dashboard\\..\\x", false)]
    [InlineData(null, false)]
    public void ReturnAddress_OnlyADashboardPage(string? returnUrl, bool kept) =>
        Assert.Equal(kept ? returnUrl : null, DashboardEndpoints.SafeReturn(returnUrl));
}
