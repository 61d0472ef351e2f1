using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Disclosure;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Tests.Cohorts;
using Outcomes.Domain.Tests.Outcomes;
using Outcomes.Service.Dashboard;

namespace Outcomes.Dashboard.Tests.Rendering;

/// The rendering defects a quality lead met (issue 13), one test each; every one of them failed before its fix.
public sealed partial class RenderingDefectsTests
{
    private static double D(XElement e, string attribute) => double.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);

    // The width a sans-serif text takes at least and at most, per character, in em: digits are 0.55-0.56 em in the
    // common faces; a label's letters average under 0.6 em.
    private const double Em = 0.6;

    private static PublishedSurvival Survival(double n0 = 450) =>
        new(Cell.Of(120), Cell.Of(60), null, [new(7, 0.8, 0.72, 0.88), new(14, 0.55, 0.46, 0.64)], null, null,
            new PublishedMedian(14, 10, 21, null), [new(0, Cell.Of((int)n0)), new(7, Cell.Of(300)), new(14, Cell.Of(200))], []);

    private static string Km(params SurvivalChart.Curve[] curves) =>
        SurvivalChart.Render("km", "Time to response", "Kaplan-Meier curves", new SurvivalChart.Axes("Days", "days", "Not yet responded", "responses"), curves);

    private static IReadOnlyList<PublishedFunnelStep> Steps(params int[] courses) =>
        courses.Select((c, i) => new PublishedFunnelStep(i + 1, i == courses.Length - 1, Cell.Of(c))).ToList();

    [Fact]
    public void FunnelBars_AxisReachesTheLargestValue_207And213DrawnApart()
    {
        var html = FunnelChart.Render("funnel", "Funnel", "Funnel", [
            new FunnelChart.Bars(new Series("a", 0), Steps(306, 213, 150), null),
            new FunnelChart.Bars(new Series("b", 1), Steps(250, 207, 120), null),
        ]);
        var svg = Assert.Single(PageText.Charts(html));

        var bars = PageText.WithClass(svg, "funnel-bar").ToList();
        var top = bars.Min(b => D(b, "y"));
        var axisTop = svg.Descendants(PageText.SvgNs + "path").Where(p => ((string?)p.Parent!.Attribute("class")) == "axes")
            .Select(p => double.Parse(AxisTop().Match((string)p.Attribute("d")!).Groups[1].Value, CultureInfo.InvariantCulture)).Single();
        var tallest = bars.Max(b => D(b, "height"));
        Assert.True(top > axisTop + 0.5, $"the tallest bar (306) reaches the top of the axis ({top} vs {axisTop}): it is clipped");
        var heights = bars.Select(b => Math.Round(D(b, "height"), 1)).ToList();
        // Drawn step by step, a then b: 306, 250, 213, 207, 150, 120.
        Assert.True(heights[2] > heights[3], $"213 drawn {heights[2]} high, 207 drawn {heights[3]} high");
        Assert.Equal(306.0 / 213, tallest / heights[2], 2);
        Assert.True(Plot.NiceTicks(306)[^1] >= 306);
        foreach (var max in new[] { 1, 7, 10, 99, 100, 101, 207, 213, 999, 1001, 12345 })
            Assert.True(Plot.NiceTicks(max)[^1] >= max, $"ticks for {max} end at {Plot.NiceTicks(max)[^1]}");
    }

    [GeneratedRegex(@"^M[\d.]+ ([\d.]+)")]
    private static partial Regex AxisTop();

    /// The first group's durability curve withheld (it has 3 responders of 20). No tier withholds a curve whole today,
    /// but the page still renders one with its reason, so that state is made here by hand from the exact report.
    private static PublishedCohortReport FirstGroupDurabilityWithheld()
    {
        var members = CohortTestData.Random(400, seed: 7, modalities: 3).Where(m => m.Attributes!.Modality != Modality.IvKetamine).ToList();
        for (var i = 0; i < 20; i++)
        {
            var course = new TestCourse().Sessions(0, 3, 7, 10).Score(-1, 20).Score(7, i < 3 ? 8 : 18).Score(14, i < 3 ? 7 : 17);
            members.Add(CohortTestData.Member(course, $"flat{i}", Modality.IvKetamine));
        }
        var exact = ReportDisclosure.OwnClinics(members, CohortTestData.Definition(CohortDimension.Modality), CohortTestData.Provenance);
        var iv = exact.Groups[0];
        var days = iv.Durability!.Days with
        {
            Withheld = SuppressionReason.Protected, Curve = [], Median = new PublishedMedian(null, null, null, null), SurvivalAt = [],
        };
        var report = exact with { Groups = [iv with { Durability = new PublishedDurability(days) }, .. exact.Groups.Skip(1)] };
        Assert.Equal("iv-ketamine", report.Groups[0].Group);
        Assert.Null(report.Groups[0].Withheld);
        Assert.NotNull(report.Groups[0].Durability!.Days.Withheld);
        return report;
    }

    [Fact]
    public void DurabilityTable_FirstGroupWithheld_KeepsItsHeadersAndCells_AndTheWithheldRowSaysWhy()
    {
        var report = FirstGroupDurabilityWithheld();
        var html = ReportPage.Body(report, "clinic-a");

        var table = Regex.Match(html, "<table class=\"survival-at\">.*?</table>").Value;
        var times = report.Groups.SelectMany(g => g.Durability?.Days.SurvivalAt.Select(a => a.Time) ?? []).Distinct().ToList();
        Assert.NotEmpty(times);
        Assert.Equal(times.Count, Regex.Matches(table, "Still in response at day").Count);
        var first = Regex.Match(table, "<tr data-group=\"iv-ketamine\">.*?</tr>").Value;
        Assert.Contains($"colspan=\"{times.Count}\"", first);
        Assert.Contains("withheld: ", first);
        foreach (var group in report.Groups.Skip(1).Where(g => g.Withheld is null && g.Durability is { Days.Withheld: null }))
            Assert.Equal(times.Count, Regex.Matches(Regex.Match(table, $"<tr data-group=\"{group.Group}\">.*?</tr>").Value, "<td>").Count);
    }

    [Fact]
    public void AtRiskRow_GroupNameEndsBeforeTheFirstNumberBegins()
    {
        var svg = Assert.Single(PageText.Charts(Km(new SurvivalChart.Curve(new Series(null, 0), Survival(450), null))));

        var row = PageText.WithClass(svg, "at-risk-row").Single();
        var label = PageText.WithClass(row, "group").Single();
        var first = PageText.WithClass(row, "at-risk-count").First();
        Assert.Equal("All courses", label.Value);
        Assert.Equal("end", (string)label.Attribute("text-anchor")!);
        var firstStarts = D(first, "x") - first.Value.Length * 11 * Em / 2;
        Assert.True(D(label, "x") + 4 <= firstStarts, $"'All courses' ends at {D(label, "x")}, '450' begins at {firstStarts}");
    }

    public static TheoryData<string> LongLabels => new() { "treatment-resistant-depression", "ketamine-assisted-psychotherapy", new string('x', 70) };

    [Theory]
    [MemberData(nameof(LongLabels))]
    public void LongGroupLabels_StayInsideTheChart(string name)
    {
        var rate = new PublishedRate(Cell.Of(30), Cell.Of(60), 0.5, 0.375, 0.625, null);
        var rates = Assert.Single(PageText.Charts(RateChart.Render("rates", "Rates", "Rates",
            [new RateChart.Measure("Response ever", [(new Series(name, 0), rate, null)])])));
        var km = Assert.Single(PageText.Charts(Km(new SurvivalChart.Curve(new Series(name, 0), Survival(), null))));

        foreach (var label in PageText.WithClass(rates, "group").Concat(PageText.WithClass(km, "group")))
        {
            var shown = string.Concat(label.Nodes().OfType<XText>().Select(t => t.Value));
            Assert.True(D(label, "x") - shown.Length * 11 * Em >= 0, $"'{shown}' right-aligned at {D(label, "x")} starts left of the chart");
            if (shown != name) Assert.Equal(name, label.Element(PageText.SvgNs + "title")!.Value);
        }
    }

    [Fact]
    public void BarChartLegend_SwatchesAreBlocksNotLines()
    {
        var html = FunnelChart.Render("funnel", "Funnel", "Funnel", [new FunnelChart.Bars(new Series("a", 0), Steps(40, 30), null)]);

        var legend = Regex.Match(html, "<ul class=\"legend\">.*?</ul>").Value;
        Assert.Contains("<rect", legend);
        Assert.DoesNotContain("<line", legend);
    }

    [Fact]
    public void WithheldDashNote_OnlyWhenADashIsDrawn()
    {
        var none = FunnelChart.Render("funnel", "Funnel", "Funnel", [new FunnelChart.Bars(new Series("a", 0), Steps(40, 30), null)]);
        var some = FunnelChart.Render("funnel", "Funnel", "Funnel", [new FunnelChart.Bars(new Series("a", 0),
            [new PublishedFunnelStep(1, false, Cell.Of(40)), new PublishedFunnelStep(2, true, Cell.Hidden(SuppressionReason.BelowThreshold))], null)]);
        var kmNone = Km(new SurvivalChart.Curve(new Series("a", 0), Survival(), null));
        var kmSome = Km(new SurvivalChart.Curve(new Series("a", 0), Survival() with
        {
            AtRisk = [new(0, Cell.Of(120)), new(14, Cell.Hidden(SuppressionReason.BelowThreshold))],
        }, null));

        Assert.DoesNotContain("\u2014 at the foot of a bar", none);
        Assert.Contains("\u2014 at the foot of a bar", some);
        Assert.DoesNotContain("\u2014 in the at-risk rows", kmNone);
        Assert.Contains("\u2014 in the at-risk rows", kmSome);
    }

    [Fact]
    public void EveryTable_ScrollsInABoxOfItsOwn()
    {
        var html = ReportPage.Body(FirstGroupDurabilityWithheld(), "clinic-a");

        var tables = Regex.Matches(html, "<table").Count;
        Assert.True(tables >= 5);
        Assert.Equal(tables, Regex.Matches(html, "<div class=\"table-scroll\"><table").Count);
    }

    [Fact]
    public void ManyKaplanMeierCurves_NoBlurOfBands()
    {
        var five = Enumerable.Range(0, 5).Select(i => new SurvivalChart.Curve(new Series($"g{i}", i), Survival(), null)).ToArray();

        var svg = Assert.Single(PageText.Charts(Km(five)));
        Assert.Equal(5, PageText.WithClass(svg, "km-curve").Count());
        Assert.Empty(PageText.WithClass(svg, "km-band"));
        Assert.Equal(2, PageText.WithClass(Assert.Single(PageText.Charts(Km(five[..2]))), "km-band").Count());
    }

    private static PublishedTrajectory DropThenPlateau(int courses = 60) => new(
        [.. new[] { 19.0, 13, 10, 9.5, 9.4, 9.5, 9.3 }.Select((mean, w) =>
            new PublishedWeek(w, Cell.Of(courses - 4 * w), mean, mean - 1.2, mean + 1.2, null))],
        new PublishedSlope(Cell.Of(courses), Cell.Of(300), false, -1.1, 0.2, null, null));

    [Fact]
    public void Trajectory_TheWeeklyMeansAsTheLine_CoursesPerWeek_BandsAndThresholds_SlopeAsText()
    {
        var trajectory = DropThenPlateau();
        var html = TrajectoryChart.Render("trajectory", "Trajectory", "Mean PHQ-9",
            [new TrajectoryChart.Line(new Series(null, 0), trajectory, null)], baselineMean: 19);
        var svg = Assert.Single(PageText.Charts(html));

        // The line bends where the means do: a vertex per week, not one straight slope.
        var line = (string)PageText.WithClass(svg, "trajectory-line").Single().Attribute("d")!;
        Assert.Equal(trajectory.Weeks.Count, Regex.Matches(line, @"[ML]").Count);
        // The number of courses behind each week's mean.
        var row = PageText.WithClass(svg, "week-row").Single();
        Assert.Equal(trajectory.Weeks.Select(w => w.Courses.Value!.Value), PageText.WithClass(row, "count").Select(c => int.Parse(c.Value, CultureInfo.InvariantCulture)));
        // Severity bands behind, and the remission and response thresholds.
        Assert.Equal(["minimal", "mild", "moderate", "moderately severe", "severe"],
            PageText.WithClass(svg, "severity-band").Select(b => (string)b.Attribute("data-band")!));
        Assert.Equal(["remission", "response"], svg.Descendants().Where(e => e.Attribute("data-threshold") is not null).Select(e => (string)e.Attribute("data-threshold")!));
        Assert.Contains("slope -1.10 points per week", html);
        Assert.DoesNotContain(PageText.NumbersReadAsCounts(html), n => n is >= 1 and <= 10);
    }

    [Fact]
    public void Trajectory_FiveSeries_WhiskersInsteadOfBlurredBands()
    {
        var lines = Enumerable.Range(0, 5).Select(i => new TrajectoryChart.Line(new Series($"g{i}", i), DropThenPlateau(), null)).ToList();

        var svg = Assert.Single(PageText.Charts(TrajectoryChart.Render("trajectory", "Trajectory", "Mean PHQ-9", lines)));
        Assert.Empty(PageText.WithClass(svg, "trajectory-band"));
        var whiskers = PageText.WithClass(svg, "trajectory-whisker").ToList();
        Assert.Equal(5 * 7, whiskers.Count);
        // Side by side: at one week no two series share an x.
        var week0 = whiskers.GroupBy(w => (string)w.Attribute("data-group")!).Select(g => (string)g.First().Attribute("d")!).ToList();
        Assert.Equal(5, week0.Select(d => d.Split(' ')[0]).Distinct().Count());
    }

    [Fact]
    public void DurabilityTable_AnEstimateWithoutLimits_NoEmptyInterval()
    {
        var report = FirstGroupDurabilityWithheld();
        var shown = report.Groups.First(g => g.Withheld is null && g.Durability is { Days.Withheld: null });
        var days = shown.Durability!.Days;
        var atZero = shown with
        {
            Durability = new PublishedDurability(days with { SurvivalAt = [.. days.SurvivalAt.Select(a => a with { Survival = 0, Lower = null, Upper = null, Suppressed = null })] }),
        };

        var html = ReportPage.Body(report with { Groups = [.. report.Groups.Select(g => g == shown ? atZero : g)] }, "clinic-a");

        Assert.DoesNotContain("( to )", html);
        Assert.Contains("0.0% (no interval)", html);
    }
}
