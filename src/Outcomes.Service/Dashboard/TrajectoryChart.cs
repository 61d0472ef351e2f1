using System.Text;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Service.Dashboard;

/// Mean PHQ-9 by week, one line per series through its published weekly means, over the severity bands and the
/// remission and response thresholds; under it, the courses behind each weekly mean. The mixed-model slope is a
/// single straight line, which misdraws the usual course (a drop, then a plateau), so it is given as text only.
/// A week whose mean is withheld breaks the line rather than being bridged, so no value is implied where the report
/// publishes none. Intervals are bands for a few series and dodged whiskers for more, where bands would blur.
internal static class TrajectoryChart
{
    public sealed record Line(Series Series, PublishedTrajectory? Trajectory, SuppressionReason? Withheld);

    private const double Width = 760;
    private const double FontSize = 11;
    private const double RowHeight = 16;
    // Room right of the plot for the severity bands' names ("moderately-severe" at 10 units).
    private const double BandLabelRoom = 112;
    // Week labels and the numbers of courses under them need about this many units each.
    private const double LabelSpacing = 30;
    // A mean over fewer courses than this moves with every course: its point is drawn hollow and without its interval,
    // which would only add clutter spanning half the scale.
    internal const int FewCourses = 10;
    // Room either side of the first and last week, so that points and whiskers there clear the axis.
    private const double WeekPadding = 0.4;

    /// baselineMean: the whole cohort's week-0 mean, for the response line (null: no line).
    public static string Render(string id, string title, string description, IReadOnlyList<Line> lines,
        OutcomeDefinitions? definitions = null, double? baselineMean = null)
    {
        definitions ??= OutcomeDefinitions.Default;
        var drawn = lines.Where(l => l.Withheld is null && l.Trajectory is not null).ToList();
        var weeks = lines.Where(l => l.Trajectory is not null).SelectMany(l => l.Trajectory!.Weeks.Select(w => (double)w.Week)).DefaultIfEmpty(0).Max();
        var left = Plot.LeftFor(lines.Select(l => l.Series.Name), FontSize, SurvivalChart.AtRiskLabelGap, 70, 300);
        weeks = Math.Max(1, weeks);
        var plot = new Plot(Left: left, Top: 16, Width: Width - left - BandLabelRoom, Height: 240, XMin: -WeekPadding, XMax: weeks + WeekPadding, YMin: 0, YMax: Domain.Courses.Phq9Score.MaxTotal);
        var every = Math.Max(1, (int)Math.Ceiling(LabelSpacing / (plot.Width / (weeks + 2 * WeekPadding))));
        var labelled = Enumerable.Range(0, (int)weeks + 1).Where(w => w % every == 0).Select(w => (double)w).ToList();
        var countsTop = plot.Bottom + 56;
        var height = countsTop + RowHeight * lines.Count + 8;

        var svg = new StringBuilder(Plot.Open(id, Width, height, title, description));
        svg.Append(SeverityBands.Behind(plot));
        svg.Append(plot.Axes(labelled, "Weeks since the first session (0: baseline)", [0, 5, 10, 15, 20, 27], v => Markup.Number(v, 0), "Mean PHQ-9"));
        // The thresholds are named in the legend: a name drawn on its line would sit on the series' lines.
        var thresholds = new List<(string Name, string Label, string Colour, string Dash)>();
        void Threshold(double total, string name, string label, string colour, string dash)
        {
            svg.Append($"<line class=\"threshold\" data-threshold=\"{name}\" x1=\"{Markup.C(plot.Left)}\" y1=\"{Markup.C(plot.Y(total))}\" " +
                       $"x2=\"{Markup.C(plot.Right)}\" y2=\"{Markup.C(plot.Y(total))}\" stroke=\"{colour}\" stroke-width=\"1.4\" stroke-dasharray=\"{dash}\"/>");
            thresholds.Add((name, label, colour, dash));
        }
        Threshold(definitions.RemissionBelowTotal - 0.5, "remission", $"remission: a PHQ-9 below {Markup.Label(definitions.RemissionBelowTotal)}", "#1a4f8a", "2 3");
        if (baselineMean is { } baseline)
            Threshold(baseline * (1 - definitions.ResponseMinimumDropFraction), "response",
                $"response: {Markup.Number(100 * definitions.ResponseMinimumDropFraction, 0)}% below baseline, drawn for the cohort's " +
                $"baseline mean ({Markup.Number(baseline, 1)}); each course is judged against its own baseline", "#1a6e3a", "6 3");

        var bands = drawn.Count <= SurvivalChart.MaxBands;
        for (var i = 0; i < drawn.Count; i++)
        {
            var line = drawn[i];
            var runs = Runs(line.Trajectory!.Weeks).ToList();
            if (bands)
                foreach (var run in runs)
                {
                    // Over a week of few courses the band narrows to the mean: its interval is not drawn (Few).
                    var upper = run.Select(w => $"{Markup.C(plot.X(w.Week))} {Markup.C(plot.Y((Few(w) ? null : w.Upper) ?? w.Mean!.Value))}");
                    var lower = run.AsEnumerable().Reverse().Select(w => $"{Markup.C(plot.X(w.Week))} {Markup.C(plot.Y((Few(w) ? null : w.Lower) ?? w.Mean!.Value))}");
                    svg.Append($"<path class=\"trajectory-band\" {line.Series.FillAttributes} fill-opacity=\"0.15\" stroke=\"none\" " +
                               $"d=\"M{string.Join(" L", upper.Concat(lower))} Z\"/>");
                }
            else
            {
                // Side by side around each week, so that the intervals of several series stay apart.
                var offset = (i - (drawn.Count - 1) / 2.0) * Math.Min(4, plot.Width / plot.XMax / (drawn.Count + 1));
                foreach (var w in line.Trajectory.Weeks.Where(w => w.Mean is not null && w.Lower is not null && w.Upper is not null && !Few(w)))
                    svg.Append($"<path class=\"trajectory-whisker\" data-group=\"{Markup.Text(line.Series.Name)}\" stroke=\"{line.Series.Colour}\" " +
                               $"stroke-width=\"1.2\" d=\"M{Markup.C(plot.X(w.Week) + offset)} {Markup.C(plot.Y(w.Lower!.Value))} V{Markup.C(plot.Y(w.Upper!.Value))}\"/>");
            }
            var d = string.Join(" ", runs.Select(run =>
                "M" + string.Join(" L", run.Select(w => $"{Markup.C(plot.X(w.Week))} {Markup.C(plot.Y(w.Mean!.Value))}"))));
            svg.Append($"<path class=\"trajectory-line\" {line.Series.StrokeAttributes} fill=\"none\" stroke-width=\"2\" d=\"{d}\">" +
                       $"<title>{Markup.Text(line.Series.Name)}</title></path>");
            foreach (var w in line.Trajectory.Weeks.Where(w => w.Mean is not null))
                svg.Append($"<circle class=\"{(Few(w) ? "week-mean few" : "week-mean")}\" data-group=\"{Markup.Text(line.Series.Name)}\" " +
                           (Few(w) ? $"fill=\"#fff\" stroke=\"{line.Series.Colour}\" stroke-width=\"1.2\"" : $"fill=\"{line.Series.Colour}\"") +
                           $" cx=\"{Markup.C(plot.X(w.Week))}\" cy=\"{Markup.C(plot.Y(w.Mean!.Value))}\" r=\"{(Few(w) ? "3" : "2.5")}\">" +
                           $"<title>{Markup.Text(line.Series.Name)}: mean {Markup.Number(w.Mean.Value, 1)}</title></circle>");
        }

        // How many courses each weekly mean stands on: a mean over few courses moves more.
        var dashes = 0;
        svg.Append($"<g class=\"courses-per-week\" font-size=\"{Markup.C(FontSize)}\"><text x=\"4\" y=\"{Markup.C(countsTop - 6)}\" font-weight=\"bold\">Courses assessed</text>");
        for (var row = 0; row < lines.Count; row++)
        {
            var line = lines[row];
            var y = Markup.C(countsTop + RowHeight * (row + 1) - 4);
            svg.Append($"<g class=\"week-row\" data-group=\"{Markup.Text(line.Series.Name)}\">");
            svg.Append($"<text class=\"group\" x=\"{Markup.C(plot.Left - SurvivalChart.AtRiskLabelGap)}\" y=\"{y}\" text-anchor=\"end\" fill=\"{line.Series.Colour}\">" +
                       $"{Plot.Fit(line.Series.Name, plot.Left - SurvivalChart.AtRiskLabelGap - 4, FontSize)}</text>");
            if (line.Withheld is not null || line.Trajectory is null)
                svg.Append($"<text x=\"{Markup.C(plot.Left)}\" y=\"{y}\">{Markup.SvgCount(Cell.Hidden(line.Withheld ?? SuppressionReason.SmallGroup))}</text>");
            else
                foreach (var w in line.Trajectory.Weeks.Where(w => w.Week % every == 0))
                {
                    if (w.Courses.Value is null) dashes++;
                    svg.Append($"<text class=\"week-count\" x=\"{Markup.C(plot.X(w.Week))}\" y=\"{y}\" text-anchor=\"middle\">" +
                               (w.Courses.Value is { } n ? $"<tspan class=\"count\">{n}</tspan>"
                                   : $"<tspan class=\"withheld\" data-reason=\"{Markup.ReasonLabel(w.Courses.Suppressed ?? SuppressionReason.BelowThreshold)}\">\u2014</tspan>" +
                                     $"<title>withheld: {Markup.ReasonLabel(w.Courses.Suppressed ?? SuppressionReason.BelowThreshold)}</title>") +
                               "</text>");
                }
            svg.Append("</g>");
        }
        svg.Append("</g></svg>");

        var legend = new StringBuilder("<ul class=\"legend\">");
        foreach (var line in lines)
        {
            legend.Append($"<li data-group=\"{Markup.Text(line.Series.Name)}\">{line.Series.Swatch} <span class=\"group\">{Markup.Text(line.Series.Name)}</span>: ");
            if (line.Withheld is not null || line.Trajectory is null) legend.Append(Markup.Withheld(line.Withheld ?? SuppressionReason.SmallGroup));
            else legend.Append(Slope(line.Trajectory.Slope));
            legend.Append("</li>");
        }
        foreach (var (name, label, colour, dash) in thresholds)
            legend.Append($"<li class=\"threshold\" data-threshold=\"{name}\"><svg class=\"swatch\" width=\"28\" height=\"10\" aria-hidden=\"true\">" +
                          $"<line x1=\"1\" y1=\"5\" x2=\"27\" y2=\"5\" stroke-width=\"1.6\" stroke=\"{colour}\" stroke-dasharray=\"{dash}\"/></svg> {label}</li>");
        legend.Append("</ul>");
        var note = new StringBuilder("<p class=\"note\">Line and points: the weekly means (each course's last PHQ-9 in the week); ");
        note.Append(bands ? "band: their 95% intervals. " : "whiskers: their 95% intervals (no bands: they would hide one another). ");
        if (drawn.Any(l => l.Trajectory!.Weeks.Any(w => w.Mean is not null && Few(w))))
            note.Append($"A hollow point: a mean over fewer than {Markup.Label(FewCourses)} courses, its interval not drawn. ");
        note.Append("A gap: that week's mean is withheld. The slope is the mixed model's average change per week over the whole period; " +
                    "it is a summary, not the shape of the curve.");
        if (every > 1) note.Append($" Courses assessed are shown every {Markup.Label(every)} weeks.");
        if (dashes > 0) note.Append(" \u2014 under a week: that number is withheld (the reason is in its tooltip).");
        note.Append("</p>");
        return $"<figure class=\"chart-figure trajectory\"><figcaption>{Markup.Text(title)}</figcaption>{svg}{legend}{note}</figure>";
    }

    private static bool Few(PublishedWeek week) => week.Courses.Value is { } n && n < FewCourses;

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
