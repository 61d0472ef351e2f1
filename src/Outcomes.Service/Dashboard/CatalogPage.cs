using System.Text;
using Microsoft.Extensions.Primitives;
using Outcomes.Domain.Cohorts;

namespace Outcomes.Service.Dashboard;

/// The dashboard's front page: the named reports, and a form that builds a cohort from the same filters and
/// group-by a definition file has. The form is filled from a cohort's query string, so a cohort's page links back to
/// it for editing and a refused cohort comes back with its choices kept.
internal static class CatalogPage
{
    /// More clinics than this are a list to pick from rather than a row of boxes to tick.
    private const int MaxClinicBoxes = 8;

    /// clinics: the clinics the viewer may choose among (their own, or every clinic with courses for an admin).
    public static string Body(IEnumerable<ReportDefinition> reports, IReadOnlyCollection<string> clinics,
        IReadOnlyDictionary<string, StringValues>? query = null)
    {
        var body = new StringBuilder("<h1>Cohort reports</h1><section id=\"reports\"><h2>Named reports</h2><ul class=\"reports\">");
        foreach (var r in reports)
            body.Append($"<li><a href=\"{Pages.Root}/reports/{Uri.EscapeDataString(r.Name)}\">{Markup.Text(r.Title)}</a> " +
                        $"<span class=\"meta\">({Markup.Text(r.Name)}, version <span class=\"num-label\">{Markup.Text(r.Version)}</span>)</span>" +
                        $"<p>{Markup.Text(r.Description)}</p></li>");
        body.Append("</ul></section>");
        body.Append("<section id=\"cohort\"><h2>Build a cohort</h2>").Append(CohortForm(clinics, query)).Append("</section>");
        return body.ToString();
    }

    /// A cohort the form described but that cannot be built: what is wrong, and the form again with every choice kept.
    public static string Refused(IReadOnlyCollection<string> clinics, IReadOnlyDictionary<string, StringValues> query,
        IReadOnlyList<(string Field, string Rule)> problems)
    {
        var body = new StringBuilder("<h1>The cohort cannot be built</h1><ul class=\"problem\" data-status=\"400\">");
        foreach (var (field, rule) in problems)
            body.Append($"<li><strong>{Markup.Text(field)}</strong>: {Markup.Text(rule)}</li>");
        body.Append("</ul><p>Your choices are kept below: change them and show the cohort again.</p>");
        return body.Append("<section id=\"cohort\">").Append(CohortForm(clinics, query)).Append("</section>").ToString();
    }

    /// The link from a cohort's page back to the form that made it, filled in as it was.
    public static string EditLink(QueryString query) =>
        $"<p class=\"edit-cohort\"><a href=\"{Markup.Text(Pages.Root + query.Value)}#cohort\">Change this cohort</a></p>";

    private static string CohortForm(IReadOnlyCollection<string> clinics, IReadOnlyDictionary<string, StringValues>? query)
    {
        var filled = query is not null;
        HashSet<string> Chosen(string name) =>
            query is not null && query.TryGetValue(name, out var values)
                ? values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.Ordinal)
                : [];
        string One(string name) => Chosen(name).FirstOrDefault() ?? "";

        var form = new StringBuilder($"<form method=\"get\" action=\"{Pages.Root}/cohort\" class=\"cohort-form\">");
        form.Append("<p class=\"note\">Leave a filter empty to keep every course. Labels within a filter combine with OR, filters with AND.</p>");
        var ordered = clinics.Order(StringComparer.Ordinal).ToList();
        // A clinic named in the query but not offered (a typo in a shared link) is still shown, ticked, so it can be unticked.
        ordered.AddRange(Chosen("clinic").Where(c => !clinics.Contains(c)).Order(StringComparer.Ordinal));
        form.Append(ordered.Count > MaxClinicBoxes
            ? Select("clinic", "Clinic", ordered, Chosen("clinic"))
            : Choices("clinic", "Clinic", ordered, Chosen("clinic")));
        foreach (var (dimension, name, legend) in Dimensions)
            form.Append(Choices(name, legend, CohortDimensions.FixedLabels(dimension)!, Chosen(name)));
        form.Append($"<fieldset><legend>First session</legend><label>from <input name=\"firstSessionFrom\" pattern=\"\\d{{4}}-Q[1-4]\" placeholder=\"2026-Q1\" " +
                    $"value=\"{Markup.Text(One("firstSessionFrom"))}\"></label> " +
                    $"<label>to <input name=\"firstSessionTo\" pattern=\"\\d{{4}}-Q[1-4]\" placeholder=\"2026-Q4\" value=\"{Markup.Text(One("firstSessionTo"))}\"></label></fieldset>");
        var groupBy = One("groupBy");
        form.Append("<fieldset><legend>Group by</legend><select name=\"groupBy\"><option value=\"\">no grouping</option>");
        foreach (var label in CohortDimensions.EnumLabels<CohortDimension>())
            form.Append($"<option value=\"{label}\"{(label == groupBy ? " selected" : "")}>{label}</option>");
        form.Append($"</select> <label><input type=\"checkbox\" name=\"cox\" value=\"on\"{(One("cox") is "on" or "true" ? " checked" : "")}> " +
                    "Cox hazard ratios adjusted for baseline PHQ-9</label></fieldset>");
        // Counts are in every report; the hidden field keeps "no section ticked" from meaning "every section".
        form.Append("<input type=\"hidden\" name=\"sections\" value=\"counts\">");
        var sections = CohortDimensions.EnumLabels<ReportSection>().Where(s => s != "counts").ToList();
        form.Append(Choices("sections", "Sections", sections, filled ? Chosen("sections") : sections.ToHashSet(StringComparer.Ordinal)));
        form.Append("<button type=\"submit\">Show the cohort</button></form>");
        return form.ToString();
    }

    private static readonly (CohortDimension Dimension, string Name, string Legend)[] Dimensions =
    [
        (CohortDimension.Modality, "modality", "Modality"),
        (CohortDimension.AgeBand, "ageBand", "Age band"),
        (CohortDimension.Sex, "sex", "Sex"),
        (CohortDimension.DiagnosisGroup, "diagnosisGroup", "Diagnosis group"),
        (CohortDimension.BaselineSeverity, "baselineSeverity", "Baseline severity"),
        (CohortDimension.PriorFailedTrials, "priorFailedTrials", "Prior failed trials"),
    ];

    private static string Choices(string name, string legend, IReadOnlyList<string> labels, IReadOnlySet<string> ticked) =>
        $"<fieldset><legend>{Markup.Text(legend)}</legend>" +
        string.Concat(labels.Select(l => $"<label class=\"choice\"><input type=\"checkbox\" name=\"{name}\" value=\"{Markup.Text(l)}\"" +
                                         $"{(ticked.Contains(l) ? " checked" : "")}> <span class=\"group\">{Markup.Text(l)}</span></label>")) +
        "</fieldset>";

    private static string Select(string name, string legend, IReadOnlyList<string> labels, IReadOnlySet<string> chosen) =>
        $"<fieldset><legend>{Markup.Text(legend)}</legend><label>Choose one or more (none: every clinic) " +
        $"<select name=\"{name}\" multiple size=\"{Math.Min(8, labels.Count)}\">" +
        string.Concat(labels.Select(l => $"<option value=\"{Markup.Text(l)}\"{(chosen.Contains(l) ? " selected" : "")}>{Markup.Text(l)}</option>")) +
        "</select></label></fieldset>";
}
