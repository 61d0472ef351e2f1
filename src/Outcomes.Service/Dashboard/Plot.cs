using System.Text;

namespace Outcomes.Service.Dashboard;

/// The drawing area of a chart and its linear scales, in SVG user units (the SVG scales to the page by its viewBox).
internal readonly record struct Plot(double Left, double Top, double Width, double Height, double XMin, double XMax, double YMin, double YMax)
{
    public double Right => Left + Width;
    public double Bottom => Top + Height;

    public double X(double value) => Left + (Math.Clamp(value, XMin, XMax) - XMin) / (XMax - XMin) * Width;

    public double Y(double value) => Top + (1 - (Math.Clamp(value, YMin, YMax) - YMin) / (YMax - YMin)) * Height;

    /// Both axes with their tick labels and titles; tick labels are marked as labels, never counts.
    public string Axes(IEnumerable<double> xTicks, string xTitle, IEnumerable<double> yTicks, Func<double, string> yTickText, string yTitle)
    {
        var svg = new StringBuilder();
        svg.Append($"<g class=\"axes\" stroke=\"#333\" fill=\"none\"><path d=\"M{Markup.C(Left)} {Markup.C(Top)} V{Markup.C(Bottom)} H{Markup.C(Right)}\"/></g>");
        svg.Append("<g class=\"ticks\" font-size=\"11\" fill=\"#222\">");
        foreach (var t in xTicks)
        {
            var x = Markup.C(X(t));
            svg.Append($"<line x1=\"{x}\" y1=\"{Markup.C(Bottom)}\" x2=\"{x}\" y2=\"{Markup.C(Bottom + 4)}\" stroke=\"#333\"/>");
            svg.Append($"<text class=\"num-label\" x=\"{x}\" y=\"{Markup.C(Bottom + 16)}\" text-anchor=\"middle\">{Markup.Number(t, t == Math.Floor(t) ? 0 : 1)}</text>");
        }
        foreach (var v in yTicks)
        {
            var y = Markup.C(Y(v));
            svg.Append($"<line x1=\"{Markup.C(Left)}\" y1=\"{y}\" x2=\"{Markup.C(Right)}\" y2=\"{y}\" stroke=\"#ddd\" stroke-width=\"0.5\"/>");
            svg.Append($"<text class=\"num-label\" x=\"{Markup.C(Left - 6)}\" y=\"{Markup.C(Y(v) + 4)}\" text-anchor=\"end\">{Markup.Text(yTickText(v))}</text>");
        }
        svg.Append($"<text x=\"{Markup.C(Left + Width / 2)}\" y=\"{Markup.C(Bottom + 32)}\" text-anchor=\"middle\">{Markup.Text(xTitle)}</text>");
        svg.Append($"<text x=\"{Markup.C(Left - 44)}\" y=\"{Markup.C(Top + Height / 2)}\" text-anchor=\"middle\" " +
                   $"transform=\"rotate(-90 {Markup.C(Left - 44)} {Markup.C(Top + Height / 2)})\">{Markup.Text(yTitle)}</text>");
        svg.Append("</g>");
        return svg.ToString();
    }

    /// Round tick values from 0 up to the first one at or above max (so the axis never ends below the largest value
    /// drawn, which Y would clamp): steps of 1, 2 or 5 times a power of ten, about five of them.
    public static IReadOnlyList<double> NiceTicks(double max)
    {
        if (max <= 0) return [0, 1];
        var raw = max / 5;
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2, 5, 10 }.Select(m => m * power).First(s => s >= raw);
        var ticks = new List<double> { 0 };
        for (var k = 1; ticks[^1] < max; k++) ticks.Add(Math.Round(k * step, 10));
        return ticks;
    }

    /// About how wide a text is drawn in sans-serif at this font size (SVG has no layout: margins are reserved from
    /// it). 0.6 em per character is the width of a digit and above the average letter, so it errs wide.
    public static double TextWidth(string text, double fontSize) => text.Length * fontSize * 0.6;

    /// The left margin that keeps labels drawn right-aligned at (margin - gap) inside the chart: at least min, at most max
    /// (a longer label is shortened by Fit).
    public static double LeftFor(IEnumerable<string> labels, double fontSize, double gap, double min, double max) =>
        Math.Clamp(labels.Select(l => TextWidth(l, fontSize)).DefaultIfEmpty(0).Max() + gap + 6, min, max);

    /// A label shortened with an ellipsis to fit a width; the whole label goes into a tooltip.
    public static string Fit(string label, double width, double fontSize)
    {
        var room = Math.Max(4, (int)(width / (fontSize * 0.6)));
        return label.Length <= room
            ? Markup.Text(label)
            : $"{Markup.Text(label[..(room - 1)])}\u2026<title>{Markup.Text(label)}</title>";
    }

    /// The opening of an accessible chart: a title and a description that screen readers announce.
    public static string Open(string id, double width, double height, string title, string description) =>
        $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"{Markup.Text(id)}\" viewBox=\"0 0 {Markup.C(width)} {Markup.C(height)}\" " +
        $"role=\"img\" aria-labelledby=\"{Markup.Text(id)}-title {Markup.Text(id)}-desc\" font-family=\"sans-serif\">" +
        $"<title id=\"{Markup.Text(id)}-title\">{Markup.Text(title)}</title><desc id=\"{Markup.Text(id)}-desc\">{Markup.Text(description)}</desc>";
}

/// The PHQ-9 severity bands (Kroenke et al. 2001) behind a chart of PHQ-9 totals, each a light tint named at the
/// right; the cut-offs are the domain's own (Phq9Score.SeverityOf), not a copy.
internal static class SeverityBands
{
    private static readonly string[] Fills = ["#eef6ee", "#f3f6e6", "#fbf3df", "#fbe8dc", "#f8dcdc"];

    /// From (inclusive) and to (exclusive) totals of each band, and its name in words.
    public static IReadOnlyList<(int From, int To, string Name)> All { get; } =
        Enumerable.Range(0, Domain.Courses.Phq9Score.MaxTotal + 1)
            .GroupBy(Domain.Courses.Phq9Score.SeverityOf)
            .Select(g => (g.Min(), g.Max() + 1, Domain.Cohorts.CohortDimensions.EnumLabels<Domain.Courses.Phq9Severity>()[(int)g.Key].Replace('-', ' ')))
            .ToList();

    public static string Behind(Plot plot)
    {
        var svg = new StringBuilder("<g class=\"severity-bands\">");
        for (var i = 0; i < All.Count; i++)
        {
            var (from, to, name) = All[i];
            var top = plot.Y(Math.Min(to, plot.YMax));
            svg.Append($"<rect class=\"severity-band\" data-band=\"{Markup.Text(name)}\" x=\"{Markup.C(plot.Left)}\" y=\"{Markup.C(top)}\" " +
                       $"width=\"{Markup.C(plot.Width)}\" height=\"{Markup.C(plot.Y(from) - top)}\" fill=\"{Fills[i % Fills.Length]}\"/>");
            svg.Append($"<text class=\"band-label\" x=\"{Markup.C(plot.Right + 6)}\" y=\"{Markup.C((plot.Y(from) + top) / 2 + 4)}\" font-size=\"10\" " +
                       $"fill=\"#444\">{Markup.Text(name)}</text>");
        }
        return svg.Append("</g>").ToString();
    }
}
