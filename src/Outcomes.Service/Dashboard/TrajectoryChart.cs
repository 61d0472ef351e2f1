using System.Text;
using Outcomes.Domain.Cohorts;

namespace Outcomes.Service.Dashboard;

/// Mean PHQ-9 by week with its 95% band, one line per series; a week whose mean is withheld breaks the line rather
/// than being bridged, so no value is implied where the report publishes none. The legend gives the mixed-model slope.
internal static class TrajectoryChart
{
    public sealed record Line(Series Series, PublishedTrajectory? Trajectory, SuppressionReason? Withheld);

    private const double Width = 760;

    public static string Render(string id, string title, string description, IReadOnlyList<Line> lines)
    {
        var weeks = lines.Where(l => l.Trajectory is not null).SelectMany(l => l.Trajectory!.Weeks.Select(w => (double)w.Week)).DefaultIfEmpty(0).Max();
        var plot = new Plot(Left: 70, Top: 16, Width: Width - 70 - 24, Height: 240, XMin: 0, XMax: Math.Max(1, weeks), YMin: 0, YMax: 27);
        var svg = new StringBuilder(Plot.Open(id, Width, plot.Bottom + 44, title, description));
        svg.Append(plot.Axes(Enumerable.Range(0, (int)plot.XMax + 1).Select(w => (double)w), "Weeks since the first session (0: baseline)",
            [0, 5, 10, 15, 20, 27], v => Markup.Number(v, 0), "Mean PHQ-9"));
        foreach (var line in lines.Where(l => l.Withheld is null && l.Trajectory is not null))
        {
            foreach (var run in Runs(line.Trajectory!.Weeks))
            {
                var upper = run.Select(w => $"{Markup.C(plot.X(w.Week))} {Markup.C(plot.Y(w.Upper ?? w.Mean!.Value))}");
                var lower = run.AsEnumerable().Reverse().Select(w => $"{Markup.C(plot.X(w.Week))} {Markup.C(plot.Y(w.Lower ?? w.Mean!.Value))}");
                svg.Append($"<path class=\"trajectory-band\" {line.Series.FillAttributes} fill-opacity=\"0.15\" stroke=\"none\" " +
                           $"d=\"M{string.Join(" L", upper.Concat(lower))} Z\"/>");
            }
            var d = string.Join(" ", Runs(line.Trajectory!.Weeks).Select(run =>
                "M" + string.Join(" L", run.Select(w => $"{Markup.C(plot.X(w.Week))} {Markup.C(plot.Y(w.Mean!.Value))}"))));
            svg.Append($"<path class=\"trajectory-line\" {line.Series.StrokeAttributes} fill=\"none\" stroke-width=\"2\" d=\"{d}\">" +
                       $"<title>{Markup.Text(line.Series.Name)}</title></path>");
            foreach (var w in line.Trajectory.Weeks.Where(w => w.Mean is not null))
                svg.Append($"<circle {line.Series.FillAttributes} cx=\"{Markup.C(plot.X(w.Week))}\" cy=\"{Markup.C(plot.Y(w.Mean!.Value))}\" r=\"2.5\"/>");
        }
        svg.Append("</svg>");

        var legend = new StringBuilder("<ul class=\"legend\">");
        foreach (var line in lines)
        {
            legend.Append($"<li data-group=\"{Markup.Text(line.Series.Name)}\">{line.Series.Swatch} <span class=\"group\">{Markup.Text(line.Series.Name)}</span>: ");
            if (line.Withheld is not null || line.Trajectory is null) legend.Append(Markup.Withheld(line.Withheld ?? SuppressionReason.SmallGroup));
            else legend.Append(Slope(line.Trajectory.Slope));
            legend.Append("</li>");
        }
        legend.Append("</ul>");
        return $"<figure class=\"chart-figure trajectory\"><figcaption>{Markup.Text(title)}</figcaption>{svg}{legend}" +
               "<p class=\"note\">Points: weekly means (each course's last PHQ-9 in the week); band: 95% interval. A gap: that week's mean is withheld.</p></figure>";
    }

    /// The mixed-model slope as a sentence: points per week with its standard error, over how many courses.
    internal static string Slope(PublishedSlope? slope)
    {
        if (slope is null) return "no mixed model in this report";
        if (slope.Suppressed is { } reason) return "slope " + Markup.Withheld(reason);
        var text = slope.PerWeek is { } perWeek
            ? $"slope {Markup.Number(perWeek, 2)} points per week (SE {(slope.Se is { } se ? Markup.Number(se, 2) : "not estimated")})"
            : "slope not estimated";
        text += $", {Markup.Count(slope.Courses)} courses, {Markup.Count(slope.Observations)} assessments";
        if (slope.Subsampled) text += " (a fixed subsample of the courses)";
        if (slope.Problem is { Length: > 0 } problem) text += $"; {Markup.Text(problem)}";
        return text;
    }

    /// Consecutive weeks with a published mean.
    private static IEnumerable<List<PublishedWeek>> Runs(IReadOnlyList<PublishedWeek> weeks)
    {
        var run = new List<PublishedWeek>();
        foreach (var week in weeks)
        {
            if (week.Mean is not null)
            {
                run.Add(week);
                continue;
            }
            if (run.Count > 0) yield return run;
            run = [];
        }
        if (run.Count > 0) yield return run;
    }
}
