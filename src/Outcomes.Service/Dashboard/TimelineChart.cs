using System.Globalization;
using System.Text;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Safety;

namespace Outcomes.Service.Dashboard;

/// One course's PHQ-9 series over days since its first session: severity bands behind, the baseline and the response
/// and remission thresholds as lines, each session as a tick on the time axis, item 9 marked on each point, and the
/// signals raised. Drawn by the service as SVG (no script).
internal static class TimelineChart
{
    private const double Width = 760, Height = 340;


    public static string Render(CourseOutcome outcome, CourseFacts facts, OutcomeDefinitions definitions, IReadOnlyList<SignalRow> signals)
    {
        var first = outcome.FirstSessionAt;
        double DayOf(DateTimeOffset at) => first is { } f ? (at.UtcDateTime.Date - f.UtcDateTime.Date).TotalDays : 0;
        var scores = facts.Scores.OrderBy(s => s.OccurredAt.UtcTicks).Select(s => (Day: DayOf(s.OccurredAt), s.Score.Total, s.Score.Item9)).ToList();
        var sessions = facts.Sessions.Select(s => DayOf(s.OccurredAt)).ToList();
        var xMin = Math.Min(0, scores.Select(s => s.Day).DefaultIfEmpty(0).Min());
        var xMax = Math.Max(7, scores.Select(s => s.Day).Concat(sessions).DefaultIfEmpty(7).Max() + 2);
        var plot = new Plot(56, 14, Width - 56 - 120, Height - 14 - 48, xMin, xMax, 0, 27);
        var svg = new StringBuilder(Plot.Open("timeline-chart", Width, Height, "PHQ-9 over the course",
            $"PHQ-9 totals of {scores.Count} assessments by days since the first session, with {sessions.Count} sessions, severity bands " +
            "and the response and remission thresholds."));

        svg.Append(SeverityBands.Behind(plot));
        svg.Append(plot.Axes(Plot.NiceTicks(xMax).Where(t => t >= xMin), "Days since the first session", [0, 5, 10, 15, 20, 27],
            v => v.ToString(CultureInfo.InvariantCulture), "PHQ-9 total"));

        if (outcome.Baseline is { } baseline)
        {
            Line(svg, plot, baseline.Total, "baseline", $"baseline {baseline.Total}", "#555", "4 3");
            var response = baseline.Total * (1 - definitions.ResponseMinimumDropFraction);
            Line(svg, plot, response, "response", $"response: {response:0.#} or less", "#1a6e3a", "6 3");
        }
        Line(svg, plot, definitions.RemissionBelowTotal - 0.5, "remission", $"remission: below {definitions.RemissionBelowTotal}", "#1a4f8a", "2 3");

        foreach (var day in sessions)
            svg.Append($"<path class=\"session\" d=\"M{Markup.C(plot.X(day))} {Markup.C(plot.Bottom)} v-10\" stroke=\"#6a3d9a\" stroke-width=\"2\">" +
                       $"<title>session, day {day:0}</title></path>");

        if (scores.Count > 0)
        {
            var d = string.Join(" ", scores.Select((s, i) => $"{(i == 0 ? "M" : "L")}{Markup.C(plot.X(s.Day))} {Markup.C(plot.Y(s.Total))}"));
            svg.Append($"<path class=\"series\" d=\"{d}\" fill=\"none\" stroke=\"#222\" stroke-width=\"2\"/>");
        }
        foreach (var (day, total, item9) in scores)
        {
            var positive = item9 is >= 1;
            svg.Append($"<circle class=\"assessment{(positive ? " item9-positive" : "")}\" cx=\"{Markup.C(plot.X(day))}\" cy=\"{Markup.C(plot.Y(total))}\" " +
                       $"r=\"{(positive ? 6 : 4)}\" fill=\"{(positive ? "#b00020" : "#222")}\" stroke=\"#fff\" stroke-width=\"1.5\">" +
                       $"<title>day {day:0}: PHQ-9 {total}{(item9 is { } i ? $", item 9 = {i}" : ", total only")}</title></circle>");
        }
        foreach (var signal in signals)
            svg.Append($"<text class=\"signal-mark\" data-signal=\"{Markup.Text(signal.Signal)}\" x=\"{Markup.C(plot.X(DayOf(signal.AssessmentAt)))}\" " +
                       $"y=\"{Markup.C(plot.Top + 12)}\" text-anchor=\"middle\" font-size=\"13\" fill=\"#b00020\">!<title>{Markup.Text(signal.Signal)}</title></text>");
        svg.Append("</svg>");
        return $"<figure class=\"chart-figure timeline\"><figcaption>PHQ-9 over the course</figcaption>{svg}" +
               "<p class=\"note\">Dots: PHQ-9 totals (red, larger: item 9 positive). Purple ticks on the time axis: sessions. " +
               "Dashed lines: baseline, the response threshold and remission. Red marks at the top: safety signals.</p></figure>";
    }

    private static void Line(StringBuilder svg, Plot plot, double value, string kind, string label, string colour, string dash)
    {
        var y = Markup.C(plot.Y(value));
        svg.Append($"<path class=\"threshold\" data-threshold=\"{kind}\" d=\"M{Markup.C(plot.Left)} {y} H{Markup.C(plot.Right)}\" stroke=\"{colour}\" " +
                   $"stroke-dasharray=\"{dash}\" stroke-width=\"1.5\"/>");
        svg.Append($"<text x=\"{Markup.C(plot.Left + 4)}\" y=\"{Markup.C(plot.Y(value) - 3)}\" font-size=\"11\" fill=\"{colour}\">{Markup.Text(label)}</text>");
    }
}
