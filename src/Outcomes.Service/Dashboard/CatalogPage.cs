using System.Text;
using Outcomes.Domain.Cohorts;

namespace Outcomes.Service.Dashboard;

/// The dashboard's front page: the named reports, and a form that builds a cohort from the same filters and
/// group-by a definition file has.
internal static class CatalogPage
{
    /// clinics: the viewer's clinics to choose among; null when they see every clinic (then the clinic is typed).
    public static string Body(IEnumerable<ReportDefinition> reports, IReadOnlyCollection<string>? clinics)
    {
        var body = new StringBuilder("<h1>Cohort reports</h1><section id=\"reports\"><h2>Named reports</h2><ul class=\"reports\">");
        foreach (var r in reports)
            body.Append($"<li><a href=\"{Pages.Root}/reports/{Uri.EscapeDataString(r.Name)}\">{Markup.Text(r.Title)}</a> " +
                        $"<span class=\"meta\">({Markup.Text(r.Name)}, version <span class=\"num-label\">{Markup.Text(r.Version)}</span>)</span>" +
                        $"<p>{Markup.Text(r.Description)}</p></li>");
        body.Append("</ul></section>");

        body.Append($"<section id=\"cohort\"><h2>Build a cohort</h2><form method=\"get\" action=\"{Pages.Root}/cohort\" class=\"cohort-form\">");
        body.Append("<p class=\"note\">Leave a filter empty to keep every course. Labels within a filter combine with OR, filters with AND.</p>");
        if (clinics is null)
            body.Append("<fieldset><legend>Clinic</legend><label>Clinic ids, comma-separated <input name=\"clinic\" " +
                        "pattern=\"[a-z0-9, -]*\" placeholder=\"every clinic\"></label></fieldset>");
        else
            body.Append(Choices("clinic", "Clinic", clinics.Order(StringComparer.Ordinal).ToList()));
        foreach (var (dimension, name, legend) in Dimensions)
            body.Append(Choices(name, legend, CohortDimensions.FixedLabels(dimension)!));
        body.Append("<fieldset><legend>First session</legend><label>from <input name=\"firstSessionFrom\" pattern=\"\\d{4}-Q[1-4]\" placeholder=\"2026-Q1\"></label> " +
                    "<label>to <input name=\"firstSessionTo\" pattern=\"\\d{4}-Q[1-4]\" placeholder=\"2026-Q4\"></label></fieldset>");
        body.Append("<fieldset><legend>Group by</legend><select name=\"groupBy\"><option value=\"\">no grouping</option>");
        foreach (var label in CohortDimensions.EnumLabels<CohortDimension>())
            body.Append($"<option value=\"{label}\">{label}</option>");
        body.Append("</select> <label><input type=\"checkbox\" name=\"cox\" value=\"on\"> Cox hazard ratios adjusted for baseline PHQ-9</label></fieldset>");
        // Counts are in every report; the hidden field keeps "no section ticked" from meaning "every section".
        body.Append("<input type=\"hidden\" name=\"sections\" value=\"counts\">");
        body.Append(Choices("sections", "Sections", CohortDimensions.EnumLabels<ReportSection>().Where(s => s != "counts").ToList(), ticked: true));
        body.Append("<button type=\"submit\">Show the cohort</button></form></section>");
        return body.ToString();
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

    private static string Choices(string name, string legend, IReadOnlyList<string> labels, bool ticked = false) =>
        $"<fieldset><legend>{Markup.Text(legend)}</legend>" +
        string.Concat(labels.Select(l => $"<label class=\"choice\"><input type=\"checkbox\" name=\"{name}\" value=\"{Markup.Text(l)}\"" +
                                         $"{(ticked ? " checked" : "")}> <span class=\"group\">{Markup.Text(l)}</span></label>")) +
        "</fieldset>";
}
