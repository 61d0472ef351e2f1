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

    /// Round tick values from 0 to at least max: steps of 1, 2 or 5 times a power of ten, about five of them.
    public static IReadOnlyList<double> NiceTicks(double max)
    {
        if (max <= 0) return [0, 1];
        var raw = max / 5;
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2, 5, 10 }.Select(m => m * power).First(s => s >= raw);
        var ticks = new List<double>();
        for (var t = 0.0; t < max + step / 2; t += step) ticks.Add(Math.Round(t, 10));
        return ticks;
    }

    /// The opening of an accessible chart: a title and a description that screen readers announce.
    public static string Open(string id, double width, double height, string title, string description) =>
        $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"{Markup.Text(id)}\" viewBox=\"0 0 {Markup.C(width)} {Markup.C(height)}\" " +
        $"role=\"img\" aria-labelledby=\"{Markup.Text(id)}-title {Markup.Text(id)}-desc\" font-family=\"sans-serif\">" +
        $"<title id=\"{Markup.Text(id)}-title\">{Markup.Text(title)}</title><desc id=\"{Markup.Text(id)}-desc\">{Markup.Text(description)}</desc>";
}
