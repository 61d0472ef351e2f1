using System.Globalization;
using System.Text;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Security;

namespace Outcomes.Service.Dashboard;

/// A published cohort report as a page. It renders what the report states and nothing else: every count comes from
/// a published Cell, every withheld value shows its stated reason, nothing is added up or recomputed here.
internal static class ReportPage
{
    /// The report and what the page says about where it came from: the clinics it covers in the viewer's words
    /// (ScopeText), the outcome definitions it was computed under (for the thresholds drawn).
    public static string Body(PublishedCohortReport report, string scopeText, OutcomeDefinitions? definitions = null)
    {
        var d = report.Definition;
        var series = Series.Of(report);
        var body = new StringBuilder($"<article class=\"report\" data-report=\"{Markup.Text(d.Name)}\">");
        body.Append($"<h1>{Markup.Text(d.Title)}</h1>");
        if (d.Description.Length > 0) body.Append($"<p class=\"description\">{Markup.Text(d.Description)}</p>");
        body.Append($"<p class=\"scope\">Courses of: {Markup.Text(scopeText)}.");
        if (d.GroupBy is { } by) body.Append($" Grouped by {Markup.Text(DimensionLabel(by))}.");
        body.Append("</p>").Append(FilterText(d.Filter));

        // The protected tier withholds a whole cohort under its minimum base, or one course from a cohort its asker was
        // shown before (then its groups too): the page says so instead of drawing empty sections.
        if (report.Overall.Withheld is { } overallReason)
        {
            var minimum = report.Disclosure?.Perturbation?.MinimumBase;
            body.Append($"<p class=\"cohort-withheld\">The whole cohort is {Markup.Withheld(overallReason)}: " +
                        (minimum is { } m ? $"it has fewer than {Markup.Label(m)} courses, or it is one course apart from a cohort you were shown before." : "") +
                        "</p>");
        }
        else
        {
            body.Append(Counts(report));
            body.Append(Section("funnel", "Attrition", FunnelChart.Render("funnel-chart", "Courses reaching each number of sessions",
                "Bar chart of the number of courses that received at least each number of sessions, per group.",
                series.Select(s => new FunnelChart.Bars(s.Series, s.Group.Counts?.Funnel, s.Group.Withheld)).ToList()) + EndReasons(report)));
            if (d.Options.Includes(ReportSection.Response)) body.Append(Response(report, series));
            if (d.Options.Includes(ReportSection.TimeToResponse)) body.Append(TimeToResponse(report, series));
            if (d.Options.Includes(ReportSection.Durability)) body.Append(Durability(report, series));
            if (d.Options.Includes(ReportSection.Trajectory))
                body.Append(Section("trajectory", "PHQ-9 trajectory", TrajectoryChart.Render("trajectory-chart", "Mean PHQ-9 by week",
                    "Line chart of the mean PHQ-9 total per week since the first session with 95% intervals, per group.",
                    series.Select(s => new TrajectoryChart.Line(s.Series, s.Group.Trajectory, s.Group.Withheld)).ToList(),
                    definitions, report.Overall.Trajectory?.Weeks.FirstOrDefault(w => w.Week == 0)?.Mean)));
            if (d.Options.Includes(ReportSection.Item9)) body.Append(Item9(report));
        }
        body.Append("</article>");
        body.Append(Footer(report));
        return body.ToString();
    }

    /// Whose courses the page covers: the one clinic asked for, else the clinics the definition's filter names (always
    /// within the viewer's scope: a filter outside it is refused before), else every clinic the viewer sees.
    public static string ScopeText(CohortFilter filter, string? clinicId, ClinicScope scope) =>
        clinicId
        ?? (filter.Clinic is { Count: > 0 } named ? string.Join(", ", named.Order(StringComparer.Ordinal))
            : scope.AllClinics ? "every clinic" : string.Join(", ", scope.Clinics.Order(StringComparer.Ordinal)));

    private static string Section(string id, string heading, string content) =>
        $"<section id=\"{id}\"><h2>{Markup.Text(heading)}</h2>{content}</section>";

    /// A table in a box of its own that scrolls sideways when the table is wider than the page, so the page never does.
    private static string Scroll(string table) => $"<div class=\"table-scroll\">{table}</div>";

    /// Rows: the whole cohort, then each group (a withheld group in one cell with its reason).
    private static IEnumerable<PublishedGroup> Rows(PublishedCohortReport report) =>
        report.Definition.GroupBy is null ? [report.Overall] : [report.Overall, .. report.Groups];

    private static string GroupCell(PublishedGroup group) => $"<th scope=\"row\" class=\"group\">{Markup.Text(Markup.GroupName(group.Group))}</th>";

    private static string WithheldRow(PublishedGroup group, int columns) =>
        $"<tr data-group=\"{Markup.Text(Markup.GroupName(group.Group))}\">{GroupCell(group)}<td colspan=\"{columns}\">{Markup.Withheld(group.Withheld!.Value)}</td></tr>";

    private static string Counts(PublishedCohortReport report)
    {
        var funnel = report.Overall.Counts!.Funnel;
        var table = new StringBuilder("<table class=\"counts\"><thead><tr><th scope=\"col\">Group</th><th scope=\"col\">Enrolled</th>" +
                                      "<th scope=\"col\">With baseline</th><th scope=\"col\">Eligible</th>");
        foreach (var step in funnel)
            table.Append($"<th scope=\"col\">Reached session <span class=\"num-label\">{step.Sessions}</span>{(step.OrMore ? "+" : "")}</th>");
        table.Append("</tr></thead><tbody>");
        foreach (var group in Rows(report))
        {
            if (group.Withheld is not null)
            {
                table.Append(WithheldRow(group, 3 + funnel.Count));
                continue;
            }
            var c = group.Counts!;
            table.Append($"<tr data-group=\"{Markup.Text(Markup.GroupName(group.Group))}\">{GroupCell(group)}<td class=\"enrolled\">{Markup.Count(c.Enrolled)}</td>" +
                         $"<td>{Markup.Count(c.WithBaseline)}</td><td>{Markup.Count(c.Eligible)}</td>");
            foreach (var step in c.Funnel) table.Append($"<td>{Markup.Count(step.Courses)}</td>");
            table.Append("</tr>");
        }
        return Section("counts", "Courses", Scroll(table.Append("</tbody></table>").ToString()));
    }

    private static string EndReasons(PublishedCohortReport report)
    {
        var reasons = report.Overall.Counts!.EndReasons.Select(r => r.Reason).ToList();
        var table = new StringBuilder("<table class=\"end-reasons\"><thead><tr><th scope=\"col\">Group</th>");
        foreach (var reason in reasons) table.Append($"<th scope=\"col\">{Markup.Text(reason)}</th>");
        table.Append("</tr></thead><tbody>");
        foreach (var group in Rows(report))
        {
            if (group.Withheld is not null)
            {
                table.Append(WithheldRow(group, reasons.Count));
                continue;
            }
            table.Append($"<tr data-group=\"{Markup.Text(Markup.GroupName(group.Group))}\">{GroupCell(group)}");
            foreach (var reason in reasons)
                table.Append($"<td>{(group.Counts!.EndReasons.FirstOrDefault(r => r.Reason == reason) is { } r ? Markup.Count(r.Courses) : "")}</td>");
            table.Append("</tr>");
        }
        return "<h3>How courses ended</h3>" + Scroll(table.Append("</tbody></table>").ToString());
    }

    private static string Response(PublishedCohortReport report, IReadOnlyList<(Series Series, PublishedGroup Group)> series)
    {
        var window = report.Overall.Response?.InductionWindowDays ?? report.Definition.Options.InductionWindowDays;
        var rates = Measures.Rates.Select(m => new RateChart.Measure(m.Title, series.Select(s =>
            (s.Series, s.Group.Response is { } r ? r[m] : null, s.Group.Withheld)).ToList())).ToList();
        var chart = RateChart.Render("rates-chart", "Response, remission and improvement",
            "Bar chart of proportions with Wilson 95% intervals per group, one row of bars for each rate of the table of measures " +
            "(response and remission by the end of induction and ever, improvement and the others named beside the bars).",
            rates);
        return Section("response", "Response and remission",
            $"<p>End of induction: day {Markup.Label(window)} after the first session.</p>{chart}{RateTable(rates)}");
    }

    /// The chart's numbers as a table, folded: on a phone the chart scrolls sideways to its numbers, and a screen
    /// reader reads a table more easily than the chart's text.
    private static string RateTable(IReadOnlyList<RateChart.Measure> rates)
    {
        // Three narrow columns, each rate a heading row above its groups: it reads on a phone without scrolling.
        var table = new StringBuilder("<table class=\"rates\"><thead><tr><th scope=\"col\">Group</th>" +
            "<th scope=\"col\">Estimate (95% interval)</th><th scope=\"col\">Events of N</th></tr></thead><tbody>");
        foreach (var measure in rates)
        {
            table.Append($"<tr class=\"measure\"><th scope=\"colgroup\" colspan=\"3\">{Markup.Named(measure.Name)}</th></tr>");
            foreach (var (s, rate, withheld) in measure.Bars)
            {
                table.Append($"<tr data-measure=\"{Markup.Text(measure.Name)}\" data-group=\"{Markup.Text(s.Name)}\">" +
                    $"<th scope=\"row\" class=\"group\">{Markup.Text(s.Name)}</th>");
                if (RateChart.WithheldReason(rate, withheld) is { } why)
                    table.Append($"<td colspan=\"2\">{Markup.Withheld(why)}</td>");
                else if (rate!.Estimate is { } estimate)
                    table.Append($"<td>{Markup.Percent(estimate)} <span class=\"interval\">({Markup.Percent(rate.Lower)} to {Markup.Percent(rate.Upper)})</span></td>" +
                        $"<td>{Markup.Count(rate.Events)} of {Markup.Count(rate.N)}</td>");
                else
                    table.Append($"<td>no rate</td><td>{Markup.Count(rate.N)} courses</td>");
                table.Append("</tr>");
            }
        }
        return $"<details class=\"rates-table\"><summary>The rates as a table</summary>{Scroll(table.Append("</tbody></table>").ToString())}</details>";
    }

    private static string TimeToResponse(PublishedCohortReport report, IReadOnlyList<(Series Series, PublishedGroup Group)> series)
    {
        var days = SurvivalChart.Render("km-onset-days", "Time to response in days",
            "Kaplan-Meier curves of the proportion not yet responded by days since the first session, with 95% bands and numbers at risk, per group.",
            new SurvivalChart.Axes("Days since the first session", "days", "Not yet responded", "responses"),
            series.Select(s => new SurvivalChart.Curve(s.Series, s.Group.TimeToResponse?.Days, s.Group.Withheld)).ToList());
        var sessions = SurvivalChart.Render("km-onset-sessions", "Time to response in sessions",
            "Kaplan-Meier curves of the proportion not yet responded by sessions received, with 95% bands and numbers at risk, per group.",
            new SurvivalChart.Axes("Sessions received", "sessions", "Not yet responded", "responses"),
            series.Select(s => new SurvivalChart.Curve(s.Series, s.Group.TimeToResponse?.Sessions, s.Group.Withheld)).ToList());
        var comparisons = report.Comparisons;
        return Section("time-to-response", "Time to response", days + sessions +
            LogRank("Log-rank test, days", comparisons?.TimeToResponseDays) +
            LogRank("Log-rank test, sessions", comparisons?.TimeToResponseSessions) +
            Cox(comparisons?.TimeToResponseAdjusted));
    }

    private static string Durability(PublishedCohortReport report, IReadOnlyList<(Series Series, PublishedGroup Group)> series)
    {
        var chart = SurvivalChart.Render("km-durability", "Durability of response",
            "Kaplan-Meier curves of the proportion still in response by days since response onset, with 95% bands and numbers at risk, per group.",
            new SurvivalChart.Axes("Days since response onset", "days", "Still in response", "losses of response"),
            series.Select(s => new SurvivalChart.Curve(s.Series, s.Group.Durability?.Days, s.Group.Withheld)).ToList());
        // The columns are every time any shown group is estimated at: a withheld first group must not take them away.
        var times = series.SelectMany(s => s.Group.Durability?.Days.SurvivalAt.Select(a => a.Time) ?? []).Distinct().Order().ToList();
        var table = new StringBuilder("<table class=\"survival-at\"><thead><tr><th scope=\"col\">Group</th>");
        foreach (var t in times) table.Append($"<th scope=\"col\">Still in response at day {Markup.Label(t)}</th>");
        table.Append("</tr></thead><tbody>");
        var columns = Math.Max(1, times.Count);
        foreach (var (s, group) in series)
        {
            table.Append($"<tr data-group=\"{Markup.Text(s.Name)}\"><th scope=\"row\" class=\"group\">{Markup.Text(s.Name)}</th>");
            if (group.Withheld is not null || group.Durability is null)
                table.Append($"<td colspan=\"{columns}\">{Markup.Withheld(group.Withheld ?? SuppressionReason.SmallGroup)}</td>");
            else if (group.Durability.Days.Withheld is { } curveReason)
                table.Append($"<td colspan=\"{columns}\">curve {Markup.Withheld(curveReason)}</td>");
            else
                foreach (var t in times)
                {
                    var at = group.Durability.Days.SurvivalAt.FirstOrDefault(a => a.Time == t);
                    table.Append("<td>" + (at is null ? "not estimated"
                        : at.Suppressed is { } why ? Markup.Withheld(why)
                        : at.Survival is { } v ? Markup.Percent(v) + Interval(at.Lower, at.Upper) : "beyond the follow-up") + "</td>");
                }
            table.Append("</tr>");
        }
        return Section("durability", "Durability of response", chart + Scroll(table.Append("</tbody></table>").ToString()) + LogRank("Log-rank test", report.Comparisons?.Durability));
    }

    /// " (lower to upper)", or why there is none: at S = 0 the interval is undefined and the report publishes no limits.
    private static string Interval(double? lower, double? upper) =>
        lower is not null && upper is not null ? $" ({Markup.Percent(lower)} to {Markup.Percent(upper)})" : " (no interval)";

    private static string LogRank(string title, PublishedLogRank? test)
    {
        if (test is null) return "";
        var text = new StringBuilder($"<div class=\"test log-rank\"><h3>{Markup.Text(title)}</h3><p>Chi-square {Markup.Number(test.ChiSquare, 2)} " +
                                     $"on <span class=\"num-label\">{test.Df}</span> degrees of freedom, p {P(test.P)}.</p>");
        text.Append("<div class=\"table-scroll\"><table><thead><tr><th scope=\"col\">Group</th><th scope=\"col\">N</th><th scope=\"col\">Observed</th><th scope=\"col\">Expected</th></tr></thead><tbody>");
        foreach (var row in test.Groups)
            text.Append($"<tr data-group=\"{Markup.Text(row.Group)}\"><th scope=\"row\" class=\"group\">{Markup.Text(row.Group)}</th><td>{Markup.Count(row.N)}</td>" +
                        $"<td>{Markup.Count(row.Observed)}</td><td>{(row.Expected is { } e ? Markup.Number(e, 1) : Markup.Withheld(SuppressionReason.DerivedFromSuppressed))}</td></tr>");
        return text.Append("</tbody></table></div></div>").ToString();
    }

    private static string Cox(PublishedCox? cox)
    {
        if (cox is null) return "";
        var text = new StringBuilder("<div class=\"test cox\"><h3>Cox model of time to response (days), adjusted for the baseline PHQ-9 total</h3>");
        text.Append($"<p>Reference group: <span class=\"group\">{Markup.Text(cox.ReferenceGroup)}</span>; N {Markup.Count(cox.N)}, responses {Markup.Count(cox.Events)}" +
                    $"{(cox.Converged ? "" : "; the fit did not converge")}.</p>");
        if (cox.Warnings.Count > 0) text.Append($"<p class=\"note\">{Markup.Text(string.Join("; ", cox.Warnings))}</p>");
        text.Append("<div class=\"table-scroll\"><table><thead><tr><th scope=\"col\">Term</th><th scope=\"col\">Hazard ratio (95% CI)</th><th scope=\"col\">p</th></tr></thead><tbody>");
        foreach (var hr in cox.HazardRatios)
        {
            var term = hr.Group is { } g ? $"<span class=\"group\">{Markup.Text(g)}</span> vs <span class=\"group\">{Markup.Text(cox.ReferenceGroup)}</span>"
                : "per baseline PHQ-9 point";
            text.Append(hr.Suppressed is { } why
                ? $"<tr><th scope=\"row\">{term}</th><td colspan=\"2\">{Markup.Withheld(why)}</td></tr>"
                : $"<tr><th scope=\"row\">{term}</th><td>{Ratio(hr.HazardRatio)} ({Ratio(hr.Lower)} to {Ratio(hr.Upper)})</td><td>{P(hr.P)}</td></tr>");
        }
        return text.Append("</tbody></table></div></div>").ToString();
    }

    private static string Item9(PublishedCohortReport report)
    {
        var table = new StringBuilder("<table class=\"item9\"><thead><tr><th scope=\"col\">Group</th><th scope=\"col\">Item <span class=\"num-label\">9</span> known at baseline</th>" +
                                      "<th scope=\"col\">Positive at baseline</th><th scope=\"col\">New during treatment</th><th scope=\"col\">Resolved</th></tr></thead><tbody>");
        foreach (var group in Rows(report))
        {
            if (group.Withheld is not null || group.Item9 is null)
            {
                if (group.Withheld is not null) table.Append(WithheldRow(group, 4));
                continue;
            }
            var i = group.Item9;
            table.Append($"<tr data-group=\"{Markup.Text(Markup.GroupName(group.Group))}\">{GroupCell(group)}<td>{Markup.Count(i.BaselineKnown)}</td>" +
                         $"<td>{RateText(i.PositiveAtBaseline)}</td><td>{RateText(i.NewDuringTreatment)}</td><td>{RateText(i.Resolved)}</td></tr>");
        }
        return Section("item9", "Thoughts of self-harm (PHQ-9 item-9)", Scroll(table.Append("</tbody></table>").ToString()) +
            "<p class=\"note\">New during treatment: among courses at 0 at baseline with a later item-9 answer. Resolved: among courses positive at " +
            "baseline with a later item-9 answer, the last one 0.</p>");
    }

    private static string RateText(PublishedRate rate) =>
        rate.Suppressed is { } why
            ? $"{Markup.Count(rate.Events)} of {Markup.Count(rate.N)}; rate {Markup.Withheld(why)}"
            : rate.Estimate is { } estimate
                ? $"{Markup.Count(rate.Events)} of {Markup.Count(rate.N)}, {Markup.Percent(estimate)}{Interval(rate.Lower, rate.Upper)}"
                : $"{Markup.Count(rate.Events)} of {Markup.Count(rate.N)}";

    private static string Footer(PublishedCohortReport report)
    {
        var p = report.Provenance;
        return "<footer class=\"provenance\"><dl>" +
               $"<dt>Outcome definitions</dt><dd class=\"meta\" data-definitions=\"{Markup.Text(p.DefinitionsId)}\">{Markup.Text(p.DefinitionsId)} " +
               $"version <span class=\"num-label\">{Markup.Text(p.DefinitionsVersion)}</span></dd>" +
               $"<dt>Report definition</dt><dd class=\"meta\">{Markup.Text(report.Definition.Name)} version <span class=\"num-label\">{Markup.Text(report.Definition.Version)}</span></dd>" +
               $"<dt>Event-store position</dt><dd class=\"meta\" data-position=\"{p.EventStorePosition.ToString(CultureInfo.InvariantCulture)}\">" +
               $"<span class=\"num-label\">{p.EventStorePosition.ToString(CultureInfo.InvariantCulture)}</span></dd>" +
               $"<dt>As of</dt><dd class=\"meta\"><time class=\"num-label\" datetime=\"{p.AsOf.ToString("O", CultureInfo.InvariantCulture)}\">" +
               $"{p.AsOf.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC</time></dd>" +
               Disclosure(report) + "</dl></footer>";
    }

    /// The tier the figures were published in and, for the protected tier, its parameters in plain words and its
    /// release point.
    private static string Disclosure(PublishedCohortReport report)
    {
        var d = report.Disclosure;
        var tier = d.Tier switch
        {
            Domain.Disclosure.DisclosureTier.OwnClinics => "your own clinics, exact",
            Domain.Disclosure.DisclosureTier.Protected => "protected (cell-key perturbation)",
            _ => "released microdata",
        };
        var release = d.Release is { } r
            ? $"<dt>Release point</dt><dd class=\"meta\" data-release=\"{r.Id.ToString(CultureInfo.InvariantCulture)}\">release " +
              $"<span class=\"num-label\">{r.Id.ToString(CultureInfo.InvariantCulture)}</span>, cut " +
              $"<time class=\"num-label\" datetime=\"{r.CutAt.ToString("O", CultureInfo.InvariantCulture)}\">" +
              $"{r.CutAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC</time></dd>"
            : "";
        var parameters = Domain.Disclosure.StatedParameters.Plain(d);
        var perturbation = parameters.Count == 0
            ? ""
            : "<dt>Perturbation</dt><dd class=\"meta disclosure-parameters\"><ul>" +
              string.Concat(parameters.Select(p => $"<li>{Markup.Text(p)}</li>")) + "</ul></dd>";
        return $"<dt>Disclosure</dt><dd class=\"meta\" data-tier=\"{Markup.Text(tier)}\">{Markup.Text(tier)}: {Markup.Text(d.Rule)}</dd>" +
               perturbation + release;
    }

    /// The filter as the definition states it, labels marked as labels: "modality: iv-ketamine; age-band: 25-34".
    internal static string FilterText(CohortFilter filter)
    {
        (CohortDimension Dimension, IReadOnlyList<string>? Labels)[] lists =
        [
            (CohortDimension.Clinic, filter.Clinic), (CohortDimension.Modality, filter.Modality), (CohortDimension.AgeBand, filter.AgeBand),
            (CohortDimension.Sex, filter.Sex), (CohortDimension.DiagnosisGroup, filter.DiagnosisGroup),
            (CohortDimension.BaselineSeverity, filter.BaselineSeverity), (CohortDimension.PriorFailedTrials, filter.PriorFailedTrials),
        ];
        var parts = lists.Where(l => l.Labels is not null)
            .Select(l => $"{Markup.Text(DimensionLabel(l.Dimension))}: " + string.Join(", ", l.Labels!.Select(v => $"<span class=\"group\">{Markup.Text(v)}</span>")))
            .ToList();
        if (filter.FirstSessionFrom is not null || filter.FirstSessionTo is not null)
            parts.Add($"first session from <span class=\"group\">{Markup.Text(filter.FirstSessionFrom ?? "the start")}</span> to " +
                      $"<span class=\"group\">{Markup.Text(filter.FirstSessionTo ?? "now")}</span>");
        return $"<p class=\"filter\">Filter: {(parts.Count == 0 ? "every course" : string.Join("; ", parts))}.</p>";
    }

    internal static string DimensionLabel(CohortDimension dimension) => CohortDimensions.EnumLabels<CohortDimension>()[(int)dimension];

    private static string P(double? p) => p switch
    {
        null => "not estimated",
        < 0.001 => "&lt; 0.001",
        { } v => "= " + Markup.Number(v, 3),
    };

    private static string Ratio(double? value) => value is { } v ? Markup.Number(v, 2) : "not estimated";
}
