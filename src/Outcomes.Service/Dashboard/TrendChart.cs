using System.Globalization;
using System.Text;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Service.Dashboard;

/// Rates by quarter of first session as lines with 95% whiskers, and the median time to response per quarter as a
/// table beside them: how a clinic's results move over time.
internal static class TrendChart
{
    private const double Width = 760, Height = 320;

    public static string Render(PublishedCohortReport report)
    {
        var quarters = report.Groups.Where(g => g.Group is { } label && label.Contains("-Q", StringComparison.Ordinal)).ToList();
        if (quarters.Count == 0) return "<p class=\"empty\">No course had its first session in this period.</p>";
        var plot = new Plot(56, 16, Width - 56 - 24, Height - 16 - 48, -0.5, quarters.Count - 0.5, 0, 1);
        var svg = new StringBuilder(Plot.Open("trend-chart", Width, Height, "Response and remission by quarter of first session",
            $"Response ever and remission ever among eligible courses, by quarter of first session, over {quarters.Count} quarters, with 95% intervals."));
        svg.Append(plot.Axes([], "Quarter of first session", [0, 0.25, 0.5, 0.75, 1], v => $"{v * 100:0}%", "Share of eligible courses"));
        for (var q = 0; q < quarters.Count; q++)
            svg.Append($"<text class=\"num-label\" x=\"{Markup.C(plot.X(q))}\" y=\"{Markup.C(plot.Bottom + 16)}\" text-anchor=\"middle\" font-size=\"11\">" +
                       $"{Markup.Text(quarters[q].Group)}</text>");
        var lines = new (string Name, Func<PublishedGroup, PublishedRate?> Rate)[]
        {
            ("response ever", g => g.Response?[Measures.ResponseEver]), ("remission ever", g => g.Response?[Measures.RemissionEver]),
        };
        var legend = new StringBuilder("<ul class=\"legend\">");
        for (var l = 0; l < lines.Length; l++)
        {
            var series = new Series(lines[l].Name, l);
            var points = quarters.Select((g, q) => (q, Rate: lines[l].Rate(g))).Where(p => p.Rate?.Estimate is not null).ToList();
            foreach (var (q, rate) in points)
            {
                var x = Markup.C(plot.X(q) + (l - 0.5) * 6);
                if (rate!.Lower is { } lo && rate.Upper is { } hi)
                    svg.Append($"<path class=\"whisker\" {series.StrokeAttributes} d=\"M{x} {Markup.C(plot.Y(lo))} V{Markup.C(plot.Y(hi))}\" stroke-width=\"1.5\"/>");
                svg.Append($"<circle class=\"trend-point\" {series.FillAttributes} cx=\"{x}\" cy=\"{Markup.C(plot.Y(rate.Estimate!.Value))}\" r=\"3.5\">" +
                           $"<title>{Markup.Text(lines[l].Name)} {Markup.Text(quarters[q].Group)}: {rate.Estimate:P0} of {rate.N.Value}</title></circle>");
            }
            if (points.Count > 1)
                svg.Append($"<path class=\"trend-line\" {series.StrokeAttributes} fill=\"none\" stroke-width=\"2\" d=\"" +
                           string.Join(" ", points.Select((p, i) => $"{(i == 0 ? "M" : "L")}{Markup.C(plot.X(p.q) + (l - 0.5) * 6)} {Markup.C(plot.Y(p.Rate!.Estimate!.Value))}")) + "\"/>");
            legend.Append($"<li data-group=\"{Markup.Text(series.Name)}\">{series.Swatch} {Markup.Text(series.Name)}</li>");
        }
        svg.Append("</svg>");
        var table = new StringBuilder("<div class=\"table-scroll\"><table class=\"trend\"><thead><tr><th>Quarter</th><th>Eligible</th><th>Response by end of induction</th>" +
                                      "<th>Remission by end of induction</th><th>Median days to response (95% CI)</th></tr></thead><tbody>");
        foreach (var g in quarters)
        {
            var median = g.TimeToResponse?.Days.Median;
            table.Append($"<tr data-quarter=\"{Markup.Text(g.Group)}\"><th scope=\"row\">{Markup.Text(g.Group)}</th><td>{(g.Counts is { } c ? Markup.Count(c.Eligible) : "-")}</td>" +
                         $"<td>{Markup.Percent(g.Response?[Measures.ResponseByEndOfInduction].Estimate)}</td><td>{Markup.Percent(g.Response?[Measures.RemissionByEndOfInduction].Estimate)}</td>" +
                         $"<td>{(median?.Estimate is { } m ? $"{m.ToString("0.#", CultureInfo.InvariantCulture)} ({median.Lower?.ToString("0.#", CultureInfo.InvariantCulture) ?? "?"}-{median.Upper?.ToString("0.#", CultureInfo.InvariantCulture) ?? "?"})" : "not reached")}</td></tr>");
        }
        table.Append("</tbody></table></div>");
        return $"<figure class=\"chart-figure trend\"><figcaption>Response and remission by quarter of first session</figcaption>{svg}{legend}</ul>" +
               "<p class=\"note\">Among eligible courses; whiskers: Wilson 95% intervals. A recent quarter's courses are still under way: its rates rise as they go on.</p></figure>" +
               table;
    }
}
