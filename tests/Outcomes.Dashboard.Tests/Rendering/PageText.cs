using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Outcomes.Dashboard.Tests.Rendering;

/// Reading rendered pages as a person (or a screen reader) would: their text, their charts, their marked elements.
internal static partial class PageText
{
    /// The text a reader sees, with the labels that are not counts (times, weeks, versions: class num-label; group
    /// names: class group; the suppression rules' wording: class rule) taken out. Any whole number left is a count, or would be read as one.
    public static IReadOnlyList<int> NumbersReadAsCounts(string html)
    {
        var text = LabelElement().Replace(html, " ");
        text = Tag().Replace(text, " ");
        text = System.Net.WebUtility.HtmlDecode(text);
        return WholeNumber().Matches(text).Select(m => int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }

    /// Every SVG in the page, parsed as XML (so a chart that is not well-formed fails here).
    public static IReadOnlyList<XElement> Charts(string html) =>
        Svg().Matches(html).Select(m => XElement.Parse(m.Value)).ToList();

    public static XNamespace SvgNs => "http://www.w3.org/2000/svg";

    public static IEnumerable<XElement> WithClass(XElement root, string name) =>
        root.DescendantsAndSelf().Where(e => ((string?)e.Attribute("class"))?.Split(' ').Contains(name) == true);

    // An element marked as a label, with no element inside it.
    [GeneratedRegex("<(\\w+)[^>]*class=\"(?:num-label|group|rule)\"[^>]*>[^<]*</\\1>")]
    private static partial Regex LabelElement();

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tag();

    // Not part of a decimal, a date, a word or an id: "12" in "12 courses", not in "0.12", "v1" or "2026-03".
    [GeneratedRegex("(?<![\\w.,:-])\\d+(?![\\w.,:%-]|\\.\\d)")]
    private static partial Regex WholeNumber();

    [GeneratedRegex("<svg xmlns=.*?</svg>", RegexOptions.Singleline)]
    private static partial Regex Svg();
}
