using System.Text.RegularExpressions;
using System.Xml.Linq;
using Outcomes.Domain.Cohorts;
using Outcomes.Service.Dashboard;

namespace Outcomes.Dashboard.Tests.Rendering;

/// The SVG charts as pure functions of published values.
public sealed class ChartRenderingTests
{
    private static PublishedSurvival Survival(IReadOnlyList<SurvivalStep> steps, IReadOnlyList<PublishedAtRisk> atRisk,
        double? shownUntil = null, SuppressionReason? curveEnd = null) =>
        new(Cell.Of(120), Cell.Of(60), null, steps, shownUntil, curveEnd, new PublishedMedian(14, 10, 21, null), atRisk, []);

    private static readonly SurvivalStep[] ThreeSteps =
    [
        new(7, 0.8, 0.72, 0.88), new(14, 0.55, 0.46, 0.64), new(28, 0.4, 0.31, 0.5),
    ];

    private static readonly PublishedAtRisk[] AtRisk =
    [
        new(0, Cell.Of(120)), new(14, Cell.Of(64)), new(28, Cell.Of(23)), new(42, Cell.Hidden(SuppressionReason.BelowThreshold)),
    ];

    private static string Render(params SurvivalChart.Curve[] curves) =>
        SurvivalChart.Render("km", "Time to response", "Kaplan-Meier curves", new SurvivalChart.Axes("Days", "days", "Not yet responded", "responses"), curves);

    private static XElement Chart(string html) => Assert.Single(PageText.Charts(html));

    [Fact]
    public void StepPath_OneHorizontalAndOneVerticalSegmentPerStep()
    {
        var plot = new Plot(0, 0, 100, 100, 0, 50, 0, 1);

        var d = SurvivalChart.StepPath(plot, Survival(ThreeSteps, AtRisk), end: 35);

        var commands = Regex.Matches(d, "[MHV]").Select(m => m.Value).ToList();
        Assert.Equal(["M", "H", "V", "H", "V", "H", "V", "H"], commands);
        Assert.StartsWith("M0 0 H14 V20 H28 V45 H56 V60", d);
        Assert.EndsWith("H70", d);
    }

    [Fact]
    public void KaplanMeierChart_OneCurveAndOneClosedBandPerShownSeries()
    {
        var html = Render(
            new SurvivalChart.Curve(new Series("esketamine", 0), Survival(ThreeSteps, AtRisk), null),
            new SurvivalChart.Curve(new Series("iv-ketamine", 1), Survival(ThreeSteps[..2], AtRisk), null));
        var svg = Chart(html);

        var curves = PageText.WithClass(svg, "km-curve").ToList();
        var bands = PageText.WithClass(svg, "km-band").ToList();
        Assert.Equal(["esketamine", "iv-ketamine"], curves.Select(c => (string)c.Attribute("data-group")!));
        Assert.Equal(2, bands.Count);
        Assert.All(bands, b => Assert.EndsWith(" Z", (string)b.Attribute("d")!));
        // Up the upper limits and back along the lower: 2 points per step, plus start and end, each way.
        Assert.Equal(2 * (2 + 2 * ThreeSteps.Length), ((string)bands[0].Attribute("d")!).Split('L').Length);
        Assert.NotNull(svg.Element(PageText.SvgNs + "title"));
        Assert.NotNull(svg.Element(PageText.SvgNs + "desc"));
    }

    [Fact]
    public void AtRiskRow_ShowsThePublishedNumbersAndMarksWithheldOnes()
    {
        var svg = Chart(Render(new SurvivalChart.Curve(new Series("esketamine", 0), Survival(ThreeSteps, AtRisk), null)));

        var row = PageText.WithClass(svg, "at-risk-row").Single();
        var counts = PageText.WithClass(row, "count").Select(c => int.Parse(c.Value)).ToList();
        var withheld = PageText.WithClass(row, "withheld").Single();
        Assert.Equal([120, 64, 23], counts);
        Assert.Equal("below-threshold", (string)withheld.Attribute("data-reason")!);
        Assert.Contains("withheld: below-threshold", withheld.Value);
    }

    [Fact]
    public void WithheldSeries_NoCurveAndItsReasonInRowAndLegend()
    {
        var html = Render(
            new SurvivalChart.Curve(new Series("esketamine", 0), Survival(ThreeSteps, AtRisk), null),
            new SurvivalChart.Curve(new Series("oral-ketamine", 1), null, SuppressionReason.SmallGroup));
        var svg = Chart(html);

        Assert.Equal(["esketamine"], PageText.WithClass(svg, "km-curve").Select(c => (string)c.Attribute("data-group")!));
        Assert.Contains("withheld: small-group", PageText.WithClass(svg, "at-risk-row").Last().Value);
        Assert.Matches("<li data-group=\"oral-ketamine\">.*withheld: small-group", html);
    }

    [Fact]
    public void CurveStoppedEarly_DrawnToWhereItIsShownAndTheLegendSaysWhy()
    {
        var plot = new Plot(0, 0, 100, 100, 0, 50, 0, 1);
        var survival = Survival(ThreeSteps, AtRisk, shownUntil: 30, curveEnd: SuppressionReason.FewAtRisk);

        Assert.Equal(30, SurvivalChart.End(survival));
        Assert.EndsWith("H60", SurvivalChart.StepPath(plot, survival, SurvivalChart.End(survival)));
        Assert.Contains("beyond that <span class=\"withheld\" data-reason=\"few-at-risk\">",
            Render(new SurvivalChart.Curve(new Series("esketamine", 0), survival, null)));
    }

    [Fact]
    public void RateChart_BarToTheEstimateWhiskerOverTheInterval_WithheldRateStatesItsReason()
    {
        var shown = new PublishedRate(Cell.Of(30), Cell.Of(60), 0.5, 0.375, 0.625, null);
        var hidden = new PublishedRate(Cell.Hidden(SuppressionReason.BelowThreshold), Cell.Of(40), null, null, null, SuppressionReason.DerivedFromSuppressed);
        var html = RateChart.Render("rates", "Rates", "Rates", [new RateChart.Measure("Response ever",
            [(new Series("a-group", 0), shown, null), (new Series("b-group", 1), hidden, null)])]);
        var svg = Chart(html);

        var bar = PageText.WithClass(svg, "rate-bar").Single();
        var plotLeft = (double)bar.Attribute("x")!;
        Assert.Equal("a-group", (string)bar.Attribute("data-group")!);
        Assert.Equal(330 * 0.5, (double)bar.Attribute("width")!, 2);
        Assert.StartsWith($"M{plotLeft + 330 * 0.375} ", (string)PageText.WithClass(svg, "whisker").Single().Attribute("d")!);
        Assert.Contains("withheld: derived-from-suppressed", PageText.WithClass(svg, "rate").Last().Value);
        Assert.Equal([30, 60], PageText.WithClass(svg, "count").Select(c => int.Parse(c.Value)));
    }

    [Fact]
    public void TrajectoryChart_WithheldWeekBreaksTheLine()
    {
        var weeks = new[]
        {
            new PublishedWeek(0, Cell.Of(40), 18, 17, 19, null), new PublishedWeek(1, Cell.Of(30), 14, 13, 15, null),
            new PublishedWeek(2, Cell.Hidden(SuppressionReason.BelowThreshold), null, null, null, SuppressionReason.DerivedFromSuppressed),
            new PublishedWeek(3, Cell.Of(20), 10, 9, 11, null),
        };
        var slope = new PublishedSlope(Cell.Of(40), Cell.Of(120), false, -2.25, 0.3, null, null);
        var html = TrajectoryChart.Render("trajectory", "Trajectory", "Mean PHQ-9",
            [new TrajectoryChart.Line(new Series("esketamine", 0), new PublishedTrajectory(weeks, slope), null)]);

        var line = PageText.WithClass(Chart(html), "trajectory-line").Single();
        Assert.Equal(2, ((string)line.Attribute("d")!).Count(c => c == 'M'));
        Assert.Contains("slope -2.25 points per week (SE 0.30)", html);
    }

    [Fact]
    public void Text_EscapedInElementsAndAttributes()
    {
        const string hostile = "<script>alert('x')</script>&\"";
        var html = RateChart.Render("id\"x", hostile, hostile, [new RateChart.Measure(hostile,
            [(new Series(hostile, 0), new PublishedRate(Cell.Of(30), Cell.Of(60), 0.5, 0.4, 0.6, null), null)])]);

        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("alert('x')", html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;", html);
        Assert.Single(PageText.Charts(html));
    }
}
