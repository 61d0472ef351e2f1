using System.Text;
using Outcomes.Domain.Cohorts;

namespace Outcomes.Service.Dashboard;

/// Kaplan-Meier step curves with their 95% bands and, under the time axis, a row of numbers at risk per series.
/// Draws exactly the steps the published curve has (each already covering enough events), up to where it is shown.
internal static class SurvivalChart
{
    /// One series: its published curve, or why the whole series is withheld.
    public sealed record Curve(Series Series, PublishedSurvival? Survival, SuppressionReason? Withheld);

    /// What the chart shows, in the reader's words: e.g. "days since the first session", "responses".
    public sealed record Axes(string TimeTitle, string TimeUnit, string SurvivalTitle, string EventName);

    private const double Width = 760;
    private const double RowHeight = 16;
    private const double FontSize = 11;

    // A group's name in the at-risk rows ends this far left of the axis: the first number at risk is centred on the
    // axis, and half of a five-digit number (about 17 units) plus a gap must fit between them.
    internal const double AtRiskLabelGap = 26;

    /// Bands are drawn for this many curves at most: more overlapping bands blur into one another and hide the curves.
    internal const int MaxBands = 2;

    public static string Render(string id, string title, string description, Axes axes, IReadOnlyList<Curve> curves)
    {
        var shown = curves.Where(c => c.Withheld is null && c.Survival is { Withheld: null }).ToList();
        var ticks = curves.Where(c => c.Survival is not null).SelectMany(c => c.Survival!.AtRisk.Select(a => a.Time)).Distinct().Order().ToList();
        var xMax = new[] { ticks.DefaultIfEmpty(0).Max(), shown.SelectMany(c => c.Survival!.Curve.Select(s => s.Time)).DefaultIfEmpty(0).Max(),
            shown.Select(c => c.Survival!.ShownUntil ?? 0).DefaultIfEmpty(0).Max() }.Max();
        // The published times at risk label the axis; where the curve runs on past the last of them, ticks at their last
        // spacing carry the axis on to its end, so no part of a curve is drawn without a scale under it.
        if (ticks.Count == 0) ticks = [.. Plot.NiceTicks(xMax)];
        var spacing = ticks.Count >= 2 ? ticks[^1] - ticks[^2] : Plot.NiceTicks(xMax)[1];
        while (ticks[^1] < xMax) ticks.Add(ticks[^1] + spacing);
        xMax = Math.Max(xMax, ticks[^1]);
        if (xMax <= 0) xMax = 1;

        var left = Plot.LeftFor(curves.Select(c => c.Series.Name), FontSize, AtRiskLabelGap, 90, 300);
        var plot = new Plot(Left: left, Top: 16, Width: Width - left - 24, Height: 240, XMin: 0, XMax: xMax, YMin: 0, YMax: 1);
        var atRiskTop = plot.Bottom + 56;
        var height = atRiskTop + RowHeight * curves.Count + 8;

        var svg = new StringBuilder(Plot.Open(id, Width, height, title, description));
        svg.Append(plot.Axes(ticks, axes.TimeTitle, [0, 0.25, 0.5, 0.75, 1], v => Markup.Number(100 * v, 0) + "%", axes.SurvivalTitle));
        foreach (var curve in shown)
        {
            var s = curve.Survival!;
            var end = End(s);
            if (shown.Count <= MaxBands)
                svg.Append($"<path class=\"km-band\" {curve.Series.FillAttributes} fill-opacity=\"0.15\" stroke=\"none\" " +
                           $"d=\"{BandPath(plot, s, end)}\"/>");
            svg.Append($"<path class=\"km-curve\" {curve.Series.StrokeAttributes} fill=\"none\" stroke-width=\"2\" d=\"{StepPath(plot, s, end)}\">" +
                       $"<title>{Markup.Text(curve.Series.Name)}</title></path>");
        }

        var dashes = 0;
        svg.Append($"<g class=\"at-risk\" font-size=\"11\"><text x=\"4\" y=\"{Markup.C(atRiskTop - 6)}\" font-weight=\"bold\">Number at risk</text>");
        for (var row = 0; row < curves.Count; row++)
        {
            var curve = curves[row];
            var y = Markup.C(atRiskTop + RowHeight * (row + 1) - 4);
            svg.Append($"<g class=\"at-risk-row\" data-group=\"{Markup.Text(curve.Series.Name)}\">");
            svg.Append($"<text class=\"group\" x=\"{Markup.C(plot.Left - AtRiskLabelGap)}\" y=\"{y}\" text-anchor=\"end\" fill=\"{curve.Series.Colour}\">" +
                       $"{Plot.Fit(curve.Series.Name, plot.Left - AtRiskLabelGap - 4, FontSize)}</text>");
            if (curve.Withheld is not null || curve.Survival is null)
                svg.Append($"<text x=\"{Markup.C(plot.Left)}\" y=\"{y}\">{Markup.SvgCount(Cell.Hidden(curve.Withheld ?? SuppressionReason.SmallGroup))}</text>");
            else
                foreach (var a in curve.Survival.AtRisk.Where(a => a.Time <= xMax))
                {
                    if (a.AtRisk.Value is null) dashes++;
                    svg.Append(a.AtRisk.Value is { } n
                        ? $"<text class=\"at-risk-count\" x=\"{Markup.C(plot.X(a.Time))}\" y=\"{y}\" text-anchor=\"middle\"><tspan class=\"count\">{n}</tspan></text>"
                        : $"<text class=\"at-risk-count withheld\" data-reason=\"{Markup.ReasonLabel(a.AtRisk.Suppressed ?? SuppressionReason.BelowThreshold)}\" " +
                          $"x=\"{Markup.C(plot.X(a.Time))}\" y=\"{y}\" text-anchor=\"middle\">\u2014<title>withheld: " +
                          $"{Markup.ReasonLabel(a.AtRisk.Suppressed ?? SuppressionReason.BelowThreshold)}</title></text>");
                }
            svg.Append("</g>");
        }
        svg.Append("</g></svg>");

        var legend = new StringBuilder("<ul class=\"legend\">");
        foreach (var curve in curves) legend.Append(LegendItem(curve, axes));
        if (shown.Count > MaxBands)
            legend.Append($"<li class=\"note\">No 95% bands: they are drawn for at most {Markup.Label(MaxBands)} curves, as more would hide " +
                          "one another; each median's interval is given above.</li>");
        if (dashes > 0) legend.Append("<li class=\"note\">\u2014 in the at-risk rows: withheld (the reason is in its tooltip).</li>");
        legend.Append("</ul>");
        return $"<figure class=\"chart-figure km\"><figcaption>{Markup.Text(title)}</figcaption>{svg}{legend}</figure>";
    }

    /// The step function: from (0, 1) one horizontal run to each published step's time and one drop to its value,
    /// then on to the end of the part shown.
    internal static string StepPath(Plot plot, PublishedSurvival survival, double end)
    {
        var d = new StringBuilder($"M{Markup.C(plot.X(0))} {Markup.C(plot.Y(1))}");
        foreach (var step in survival.Curve)
            d.Append($" H{Markup.C(plot.X(step.Time))} V{Markup.C(plot.Y(step.Survival))}");
        if (survival.Curve.Count == 0 || end > survival.Curve[^1].Time) d.Append($" H{Markup.C(plot.X(end))}");
        return d.ToString();
    }

    /// The 95% band as one closed shape: the upper limits' steps forward, the lower limits' steps back. A limit that
    /// is not published (S = 0, where the log interval is undefined) takes the estimate itself.
    internal static string BandPath(Plot plot, PublishedSurvival survival, double end)
    {
        var upper = Steps(survival, s => s.Upper ?? s.Survival, end);
        var lower = Steps(survival, s => s.Lower ?? s.Survival, end);
        lower.Reverse();
        return "M" + string.Join(" L", upper.Concat(lower).Select(p => $"{Markup.C(plot.X(p.Time))} {Markup.C(plot.Y(p.Value))}")) + " Z";
    }

    private static List<(double Time, double Value)> Steps(PublishedSurvival survival, Func<SurvivalStep, double> limit, double end)
    {
        var points = new List<(double, double)> { (0, 1) };
        var previous = 1.0;
        foreach (var step in survival.Curve)
        {
            points.Add((step.Time, previous));
            previous = limit(step);
            points.Add((step.Time, previous));
        }
        points.Add((Math.Max(end, survival.Curve.Count > 0 ? survival.Curve[^1].Time : 0), previous));
        return points;
    }

    /// Where the drawn curve stops: where the published curve stops being exact, else the last time with courses still
    /// at risk (a number shown and above zero), else its last step.
    internal static double End(PublishedSurvival survival) =>
        survival.ShownUntil
        ?? survival.AtRisk.Where(a => a.AtRisk.Value is > 0).Select(a => a.Time).DefaultIfEmpty(0)
            .Append(survival.Curve.Count > 0 ? survival.Curve[^1].Time : 0).Max();

    private static string LegendItem(Curve curve, Axes axes)
    {
        var item = new StringBuilder($"<li data-group=\"{Markup.Text(curve.Series.Name)}\">{curve.Series.Swatch} <span class=\"group\">{Markup.Text(curve.Series.Name)}</span>: ");
        var s = curve.Survival;
        if (curve.Withheld is { } groupReason)
            return item.Append(Markup.Withheld(groupReason)).Append("</li>").ToString();
        if (s is null)
            return item.Append(Markup.Withheld(SuppressionReason.SmallGroup)).Append("</li>").ToString();
        item.Append($"N {Markup.Count(s.N)}, {Markup.Text(axes.EventName)} {Markup.Count(s.Events)}");
        if (s.Withheld is { } curveReason)
            return item.Append($"; curve {Markup.Withheld(curveReason)}</li>").ToString();
        item.Append("; median ");
        if (s.Median.Suppressed is { } medianReason) item.Append(Markup.Withheld(medianReason));
        else if (s.Median.Estimate is null) item.Append("not reached");
        else item.Append($"{Markup.Label(s.Median.Estimate.Value)} {Markup.Text(axes.TimeUnit)} (95% CI {Limit(s.Median.Lower)} to {Limit(s.Median.Upper)})");
        if (s.ShownUntil is { } until && s.CurveEnd is { } endReason)
            item.Append($"; curve shown up to {Markup.Label(until)} {Markup.Text(axes.TimeUnit)}, beyond that {Markup.Withheld(endReason)}");
        return item.Append("</li>").ToString();
    }

    private static string Limit(double? time) => time is { } t ? Markup.Label(t) : "not reached";
}
