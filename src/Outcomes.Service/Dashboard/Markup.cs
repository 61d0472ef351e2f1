using System.Globalization;
using System.Net;
using Outcomes.Domain.Cohorts;

namespace Outcomes.Service.Dashboard;

/// The few rules every page and chart writes text by. Counts only ever come out of a published Cell, so the page
/// can show no more than the report publishes; every other number (times, weeks, versions) is marked as a label,
/// which is how the tests tell the two apart.
internal static class Markup
{
    /// Text for element content and double-quoted attributes.
    public static string Text(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string Number(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);

    /// A number that is not a count of courses: a time, a week, a version, a position.
    public static string Label(double value) => $"<span class=\"num-label\">{Number(value, value == Math.Floor(value) ? 0 : 1)}</span>";

    /// Text whose numbers are part of a name ("Response by session 6"), each marked as a label so no reader takes it
    /// for a count; escaped like Text.
    public static string Named(string text, bool svg = false) =>
        // Split before escaping: the digits of an entity such as &#39; are not part of the name.
        string.Concat(System.Text.RegularExpressions.Regex.Split(text ?? "", "(\\d+)").Select(part =>
            part.Length > 0 && char.IsAsciiDigit(part[0])
                ? svg ? $"<tspan class=\"num-label\">{part}</tspan>" : $"<span class=\"num-label\">{part}</span>"
                : Text(part)));

    /// The same inside SVG text.
    public static string SvgLabel(double value) => $"<tspan class=\"num-label\">{Number(value, value == Math.Floor(value) ? 0 : 1)}</tspan>";

    public static string Percent(double? proportion) =>
        proportion is { } p ? Number(100 * p, 1) + "%" : "";

    /// The wire spelling of a suppression reason ("below-threshold"), as the JSON report states it.
    public static string ReasonLabel(SuppressionReason reason) => Reasons[(int)reason];

    public static string Withheld(SuppressionReason reason) =>
        $"<span class=\"withheld\" data-reason=\"{ReasonLabel(reason)}\">withheld: {ReasonLabel(reason)}</span>";

    /// A published count: its value, or the stated reason it is not shown.
    public static string Count(Cell cell) =>
        cell.Value is { } value
            ? $"<span class=\"count\">{value.ToString(CultureInfo.InvariantCulture)}</span>"
            : Withheld(cell.Suppressed ?? SuppressionReason.BelowThreshold);

    /// The same for SVG, where the count is a tspan and the reason a tooltip too.
    public static string SvgCount(Cell cell) =>
        cell.Value is { } value
            ? $"<tspan class=\"count\">{value.ToString(CultureInfo.InvariantCulture)}</tspan>"
            : $"<tspan class=\"withheld\" data-reason=\"{ReasonLabel(cell.Suppressed ?? SuppressionReason.BelowThreshold)}\">" +
              $"withheld: {ReasonLabel(cell.Suppressed ?? SuppressionReason.BelowThreshold)}</tspan>";

    /// The name a group is shown by; the whole cohort has none.
    public static string GroupName(string? group) => group ?? "All courses";

    /// SVG coordinates: invariant, two decimals, enough for a chart a page wide.
    public static string C(double coordinate) => coordinate.ToString("0.##", CultureInfo.InvariantCulture);

    private static readonly string[] Reasons = CohortDimensions.EnumLabels<SuppressionReason>();
}

/// One series of a chart: a group (or the whole cohort) in a colour and a dash pattern of its own, the same in
/// every chart of a page, so that a grey printout still tells the series apart.
internal sealed record Series(string? Group, int Index)
{
    // Okabe-Ito: distinguishable with the common colour-vision deficiencies.
    private static readonly string[] Colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
    private static readonly string[] Dashes = ["", "6 3", "2 2", "8 3 2 3", "1 3", "10 4", "4 2 1 2"];

    public string Name => Markup.GroupName(Group);
    public string Colour => Colours[Index % Colours.Length];
    public string Dash => Dashes[Index % Dashes.Length];

    /// The attributes that tie an SVG element to its series: data-group (what tests and readers look for) and stroke.
    public string StrokeAttributes =>
        $"data-group=\"{Markup.Text(Name)}\" stroke=\"{Colour}\"" + (Dash.Length > 0 ? $" stroke-dasharray=\"{Dash}\"" : "");

    public string FillAttributes => $"data-group=\"{Markup.Text(Name)}\" fill=\"{Colour}\"";

    /// A short line in the series' colour and dash, for the legends of line charts written as HTML text.
    public string Swatch =>
        $"<svg class=\"swatch\" width=\"28\" height=\"10\" aria-hidden=\"true\"><line x1=\"1\" y1=\"5\" x2=\"27\" y2=\"5\" stroke-width=\"2.5\" " +
        $"stroke=\"{Colour}\"" + (Dash.Length > 0 ? $" stroke-dasharray=\"{Dash}\"" : "") + "/></svg>";

    /// A filled block as the bars are drawn (same colour and opacity), for the legends of bar charts.
    public string BarSwatch =>
        $"<svg class=\"swatch\" width=\"14\" height=\"12\" aria-hidden=\"true\"><rect x=\"1\" y=\"1\" width=\"12\" height=\"10\" " +
        $"fill=\"{Colour}\" fill-opacity=\"0.75\" stroke=\"{Colour}\"/></svg>";

    /// The series a report's charts draw: its groups when grouped (withheld ones keep their place and colour), else
    /// the whole cohort.
    public static IReadOnlyList<(Series Series, PublishedGroup Group)> Of(PublishedCohortReport report) =>
        report.Definition.GroupBy is null
            ? [(new Series(null, 0), report.Overall)]
            : report.Groups.Select((g, i) => (new Series(g.Group, i), g)).ToList();
}
