using System.Text;
using Outcomes.Domain.Cohorts;

namespace Outcomes.Service.Dashboard;

/// Proportions as horizontal bars on a 0-100% scale with Wilson 95% whiskers, one block per measure and one bar per
/// series in it; beside each bar the estimate, its interval and the published events / N.
internal static class RateChart
{
    public sealed record Measure(string Name, IReadOnlyList<(Series Series, PublishedRate? Rate, SuppressionReason? Withheld)> Bars);

    private const double PlotWidth = 330;
    private const double FontSize = 11;
    // Room right of the scale for "54.3% (45.1% to 63.2%), 1234 of 5678".
    private const double TextRoom = 250;
    private const double BarHeight = 14;
    private const double BarGap = 6;
    private const double MeasureGap = 24;

    /// Why a bar shows no estimate: the group's or the rate's own reason, or derived-from-suppressed for an estimate
    /// left out without one; null when the estimate is shown, or when there is no rate because no course could have the
    /// outcome (N = 0, which is not a withheld rate). The chart and the report page's table of rates both decide so.
    public static SuppressionReason? WithheldReason(PublishedRate? rate, SuppressionReason? groupWithheld)
    {
        if ((groupWithheld ?? (rate is null ? SuppressionReason.SmallGroup : rate.Suppressed)) is { } reason) return reason;
        return rate!.Estimate is not null || rate.N.Value == 0 ? null : SuppressionReason.DerivedFromSuppressed;
    }

    public static string Render(string id, string title, string description, IReadOnlyList<Measure> measures)
    {
        var plotTop = 24.0;
        var height = plotTop + measures.Sum(m => MeasureGap + m.Bars.Count * (BarHeight + BarGap)) + 40;
        // Group names sit left of their bars, right-aligned: the margin grows with the longest one (up to a limit).
        var names = measures.SelectMany(m => m.Bars.Select(b => b.Series.Name)).Distinct().ToList();
        var left = Plot.LeftFor(names, FontSize, 8, 120, 300);
        var plot = new Plot(Left: left, Top: plotTop, Width: PlotWidth, Height: height - plotTop - 40, XMin: 0, XMax: 1, YMin: 0, YMax: 1);

        var svg = new StringBuilder(Plot.Open(id, plot.Right + TextRoom, height, title, description));
        svg.Append("<g class=\"ticks\" font-size=\"11\">");
        foreach (var v in new[] { 0, 0.25, 0.5, 0.75, 1 })
        {
            var x = Markup.C(plot.X(v));
            svg.Append($"<line x1=\"{x}\" y1=\"{Markup.C(plot.Top)}\" x2=\"{x}\" y2=\"{Markup.C(plot.Bottom)}\" stroke=\"#ddd\"/>" +
                       $"<text class=\"num-label\" x=\"{x}\" y=\"{Markup.C(plot.Top - 8)}\" text-anchor=\"middle\">{Markup.Number(100 * v, 0)}%</text>");
        }
        svg.Append("</g>");

        var y = plot.Top;
        foreach (var measure in measures)
        {
            y += MeasureGap;
            svg.Append($"<text class=\"measure\" x=\"4\" y=\"{Markup.C(y - 6)}\" font-size=\"12\" font-weight=\"bold\">{Markup.Named(measure.Name, svg: true)}</text>");
            foreach (var (series, rate, withheld) in measure.Bars)
            {
                var middle = y + BarHeight / 2;
                svg.Append($"<g class=\"rate\" data-group=\"{Markup.Text(series.Name)}\" data-measure=\"{Markup.Text(measure.Name)}\" font-size=\"11\">");
                svg.Append($"<text class=\"group\" x=\"{Markup.C(plot.Left - 8)}\" y=\"{Markup.C(middle + 4)}\" text-anchor=\"end\">{Plot.Fit(series.Name, plot.Left - 14, FontSize)}</text>");
                if (WithheldReason(rate, withheld) is { } why)
                    svg.Append($"<text x=\"{Markup.C(plot.Left + 4)}\" y=\"{Markup.C(middle + 4)}\">{Markup.SvgCount(Cell.Hidden(why))}</text>");
                else if (rate!.Estimate is { } estimate)
                {
                    svg.Append($"<rect class=\"rate-bar\" {series.FillAttributes} x=\"{Markup.C(plot.X(0))}\" y=\"{Markup.C(y)}\" " +
                               $"width=\"{Markup.C(plot.X(estimate) - plot.X(0))}\" height=\"{Markup.C(BarHeight)}\" fill-opacity=\"0.7\"/>");
                    if (rate.Lower is { } lower && rate.Upper is { } upper)
                        svg.Append($"<path class=\"whisker\" stroke=\"#000\" stroke-width=\"1.2\" d=\"M{Markup.C(plot.X(lower))} {Markup.C(middle)} " +
                                   $"H{Markup.C(plot.X(upper))} M{Markup.C(plot.X(lower))} {Markup.C(y + 2)} V{Markup.C(y + BarHeight - 2)} " +
                                   $"M{Markup.C(plot.X(upper))} {Markup.C(y + 2)} V{Markup.C(y + BarHeight - 2)}\"/>");
                    svg.Append($"<text x=\"{Markup.C(plot.Right + 8)}\" y=\"{Markup.C(middle + 4)}\">{Markup.Percent(estimate)} " +
                               $"({Markup.Percent(rate.Lower)} to {Markup.Percent(rate.Upper)}), {Markup.SvgCount(rate.Events)} of {Markup.SvgCount(rate.N)}</text>");
                }
                else
                    // Nothing to divide: no course could have the outcome, which is not the same as a withheld rate.
                    svg.Append($"<text x=\"{Markup.C(plot.Left + 4)}\" y=\"{Markup.C(middle + 4)}\">no rate: {Markup.SvgCount(rate.N)} courses</text>");
                svg.Append("</g>");
                y += BarHeight + BarGap;
            }
        }
        svg.Append("</svg>");
        return $"<figure class=\"chart-figure rates\"><figcaption>{Markup.Text(title)}</figcaption>{svg}" +
               "<p class=\"note\">Bars: the proportion; whiskers: its Wilson 95% interval; then events of N.</p></figure>";
    }
}
