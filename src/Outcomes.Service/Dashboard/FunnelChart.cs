using System.Text;
using Outcomes.Domain.Cohorts;

namespace Outcomes.Service.Dashboard;

/// The attrition funnel: courses that reached 1, 2, ... sessions (the last step "or more"), a bar per series at each
/// step on one count scale. A withheld count has no bar, only its reason.
internal static class FunnelChart
{
    public sealed record Bars(Series Series, IReadOnlyList<PublishedFunnelStep>? Steps, SuppressionReason? Withheld);

    private const double Width = 760;

    public static string Render(string id, string title, string description, IReadOnlyList<Bars> series)
    {
        var steps = series.Where(s => s.Steps is not null).Select(s => s.Steps!).FirstOrDefault() ?? [];
        var max = series.Where(s => s.Steps is not null).SelectMany(s => s.Steps!.Select(step => step.Courses.Value ?? 0)).DefaultIfEmpty(0).Max();
        var yTicks = Plot.NiceTicks(Math.Max(max, 1));
        var plot = new Plot(Left: 70, Top: 16, Width: Width - 70 - 24, Height: 200, XMin: 0, XMax: Math.Max(1, steps.Count), YMin: 0, YMax: yTicks[^1]);
        var svg = new StringBuilder(Plot.Open(id, Width, plot.Bottom + 44, title, description));
        svg.Append(plot.Axes([], "Sessions received", yTicks, v => Markup.Number(v, 0), "Courses"));

        var slot = plot.Width / Math.Max(1, steps.Count);
        var bar = Math.Min(28, (slot - 8) / Math.Max(1, series.Count));
        var dashes = 0;
        for (var k = 0; k < steps.Count; k++)
        {
            var left = plot.Left + k * slot + (slot - bar * series.Count) / 2;
            svg.Append($"<text class=\"num-label\" x=\"{Markup.C(plot.Left + (k + 0.5) * slot)}\" y=\"{Markup.C(plot.Bottom + 16)}\" text-anchor=\"middle\" font-size=\"11\">" +
                       $"{steps[k].Sessions}{(steps[k].OrMore ? "+" : "")}</text>");
            for (var s = 0; s < series.Count; s++)
            {
                var x = left + s * bar;
                var cell = series[s].Steps is { } own && k < own.Count ? own[k].Courses : Cell.Hidden(series[s].Withheld ?? SuppressionReason.SmallGroup);
                if (cell.Value is { } value)
                    svg.Append($"<rect class=\"funnel-bar\" {series[s].Series.FillAttributes} x=\"{Markup.C(x)}\" y=\"{Markup.C(plot.Y(value))}\" " +
                               $"width=\"{Markup.C(bar - 2)}\" height=\"{Markup.C(plot.Bottom - plot.Y(value))}\" fill-opacity=\"0.75\">" +
                               $"<title>{Markup.Text(series[s].Series.Name)}</title></rect>");
                else
                {
                    dashes++;
                    svg.Append($"<text class=\"withheld\" data-group=\"{Markup.Text(series[s].Series.Name)}\" data-reason=\"{Markup.ReasonLabel(cell.Suppressed ?? SuppressionReason.BelowThreshold)}\" " +
                               $"x=\"{Markup.C(x + bar / 2)}\" y=\"{Markup.C(plot.Bottom - 4)}\" text-anchor=\"middle\" font-size=\"10\">\u2014" +
                               $"<title>withheld: {Markup.ReasonLabel(cell.Suppressed ?? SuppressionReason.BelowThreshold)}</title></text>");
                }
            }
        }
        svg.Append("</svg>");
        var legend = string.Concat(series.Select(s => $"<li data-group=\"{Markup.Text(s.Series.Name)}\">{s.Series.BarSwatch} <span class=\"group\">{Markup.Text(s.Series.Name)}</span>" +
                                                      (s.Withheld is { } reason ? ": " + Markup.Withheld(reason) : "") + "</li>"));
        // The note explains a mark; with no mark drawn it would only make a reader look for one.
        var note = dashes > 0
            ? "<li class=\"note\">\u2014 at the foot of a bar: that count is withheld (the reason is in its tooltip; the table above states it).</li>"
            : "";
        return $"<figure class=\"chart-figure funnel\"><figcaption>{Markup.Text(title)}</figcaption>{svg}<ul class=\"legend\">{legend}{note}</ul></figure>";
    }
}
