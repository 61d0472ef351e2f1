using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Disclosure;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Cohorts;
using Outcomes.Service.Disclosure;
using Outcomes.Service.Security;

namespace Outcomes.Service.Dashboard;

/// A published rate from the literature to draw beside a clinic's own (configured with its source, never invented).
public sealed class BenchmarkRate
{
    /// responseEver, remissionEver, responseByEndOfInduction or remissionByEndOfInduction.
    public string Measure { get; set; } = "";
    public double Rate { get; set; }
    public string Source { get; set; } = "";
}

public sealed class InsightOptions
{
    public const string Section = "Dashboard";
    public List<BenchmarkRate> Benchmarks { get; set; } = [];
}

/// Trends over first-session quarters, a clinic beside the rest of the network, and every report as CSV or JSON.
/// The own side is exact (own-clinics tier); the network side always passes the protected tier.
public static class InsightEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() }, WriteIndented = true };

    public static IServiceCollection AddInsights(this IServiceCollection services)
    {
        services.AddOptions<InsightOptions>().BindConfiguration(InsightOptions.Section);
        return services;
    }

    public static IEndpointRouteBuilder MapInsights(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup(Pages.Root).RequireAuthorization(AccessPolicies.QualityResearcherOrAdmin).ExcludeFromDescription();
        pages.MapGet("/trends", Trends);
        pages.MapGet("/compare", Compare);
        pages.MapGet("/reports/{name}/download", Download);
        return app;
    }

    internal static ReportAudience Audience(HttpContext http, bool network) =>
        ReportAudience.Of(http.User, network, http.RequestServices.GetRequiredService<IOptions<DisclosureOptions>>().Value);

    /// Response, remission and median time to response by quarter of first session, with their 95% intervals.
    private static async Task<IResult> Trends(string? clinicId, string? preset, HttpContext http, ClinicScope scope, CohortReportService reports,
        OutcomeDefinitions definitions, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        string Quarter(DateTime d) => $"{d.Year}-Q{(d.Month - 1) / 3 + 1}";
        (string? from, string? to, string label) = preset switch
        {
            null or "" or "last-12-months" => (Quarter(now.AddMonths(-11)), Quarter(now), "last 12 months"),
            "this-year" => ($"{now.Year}-Q1", Quarter(now), "this year"),
            "all" => ((string?)null, (string?)null, "every quarter"),
            _ => ("?", "?", ""),
        };
        if (from == "?")
            return DashboardEndpoints.Problem(http, 400, "Unknown preset", $"preset: must be last-12-months, this-year or all, got '{preset}'.");
        var definition = new ReportDefinition
        {
            Name = "trends", Version = "1", Title = "Trends by quarter of first session",
            Description = $"Response, remission and median time to response of courses by the quarter of their first session ({label}).",
            Filter = new CohortFilter { FirstSessionFrom = from, FirstSessionTo = to },
            GroupBy = CohortDimension.FirstSessionPeriod,
            Options = new ReportOptions { Sections = [ReportSection.Response, ReportSection.TimeToResponse], TrajectoryModel = false },
        };
        var answer = await reports.Run(definition, scope, Audience(http, network: false), clinicId, null, ct);
        if (answer.Report is not { } report) return DashboardEndpoints.Refused(http, answer, "The trends cannot be computed");
        var body = new StringBuilder("<article class=\"insight\"><h1>Trends by quarter of first session</h1>");
        body.Append($"<form method=\"get\" action=\"{Pages.Root}/trends\" class=\"filters\">{ClinicPicker(scope, clinicId)}<label>Period <select name=\"preset\">");
        foreach (var (value, text) in new[] { ("last-12-months", "last 12 months"), ("this-year", "this year"), ("all", "every quarter") })
            body.Append($"<option value=\"{value}\"{((preset ?? "last-12-months") == value ? " selected" : "")}>{text}</option>");
        body.Append("</select></label><button type=\"submit\">Show</button></form>");
        body.Append(TrendChart.Render(report));
        body.Append(Definitions(definitions)).Append(Disclosure(report)).Append("</article>");
        return DashboardEndpoints.Page(http, 200, "Trends", body.ToString());
    }

    /// One report for a clinic (exact) beside the same report over every other clinic (protected tier).
    private static async Task<IResult> Compare(string? clinicId, string? report, HttpContext http, ClinicScope scope, ReportCatalog catalog,
        CohortReportService reports, OutcomeDefinitions definitions, IOptions<InsightOptions> insight, CancellationToken ct)
    {
        var name = report ?? "overview";
        if (catalog.Find(name) is not { } definition)
            return DashboardEndpoints.Problem(http, 404, "No such report", $"There is no report named '{name}'.");
        var clinic = clinicId ?? (scope.AllClinics ? null : scope.Clinics.Order(StringComparer.Ordinal).FirstOrDefault());
        if (clinic is null)
            return DashboardEndpoints.Page(http, 200, "Your clinic and the network",
                $"<article class=\"insight\"><h1>Your clinic and the rest of the network</h1><form method=\"get\" action=\"{Pages.Root}/compare\" class=\"filters\">" +
                $"{ClinicPicker(scope, null)}<button type=\"submit\">Compare</button></form></article>");
        var overall = definition with { GroupBy = null };
        var own = await reports.Run(overall, scope, Audience(http, network: false), clinic, null, ct);
        if (own.Report is not { } mine) return DashboardEndpoints.Refused(http, own, "The comparison cannot be computed");
        var rest = await reports.Run(overall with { Filter = overall.Filter with { ExcludeClinic = [clinic] } }, scope, Audience(http, network: true), null, null, ct);
        if (rest.Report is not { } network) return DashboardEndpoints.Refused(http, rest, "The network side cannot be computed");

        var body = new StringBuilder("<article class=\"insight compare\"><h1>Your clinic and the rest of the network</h1>");
        body.Append($"<form method=\"get\" action=\"{Pages.Root}/compare\" class=\"filters\">{ClinicPicker(scope, clinic)}<label>Report <select name=\"report\">");
        foreach (var n in catalog.Names)
            body.Append($"<option value=\"{Markup.Text(n)}\"{(n == name ? " selected" : "")}>{Markup.Text(catalog.Find(n)!.Title)}</option>");
        body.Append("</select></label><button type=\"submit\">Compare</button></form>");
        // The network side leaves out every clinic of the caller's token, not only the one compared (CohortReportService).
        var leftOut = network.Definition.Filter.ExcludeClinic ?? [clinic];
        body.Append($"<p class=\"scope\">{Markup.Text(definition.Title)}: <strong>{Markup.Text(clinic)}</strong> (exact) beside " +
                    (leftOut.Count > 1
                        ? $"every clinic but {Markup.Text(string.Join(", ", leftOut.Order(StringComparer.Ordinal)))} (the clinics of your token are left out; "
                        : "every other clinic (") +
                    "protected: perturbed counts, at the latest release point).</p>");
        var ownSeries = new Series(clinic, 0);
        var networkSeries = new Series("rest of the network", 1);
        var measures = new List<RateChart.Measure>();
        if (mine.Overall.Response is { } a && network.Overall.Response is { } b)
            foreach (var measure in Measures.Rates)
                measures.Add(new RateChart.Measure(measure.Title,
                    [(ownSeries, a[measure], a[measure].Suppressed), (networkSeries, b[measure], b[measure].Suppressed)]));
        if (measures.Count > 0)
            body.Append(RateChart.Render("compare-rates", "Rates with 95% intervals", $"{clinic} beside the rest of the network.", measures));
        body.Append(CompareTable(clinic, mine.Overall, network.Overall, insight.Value.Benchmarks));
        body.Append(Definitions(definitions)).Append(Disclosure(network)).Append("</article>");
        return DashboardEndpoints.Page(http, 200, "Your clinic and the network", body.ToString());
    }

    private static string CompareTable(string clinic, PublishedGroup own, PublishedGroup network, IReadOnlyList<BenchmarkRate> benchmarks)
    {
        var html = new StringBuilder("<div class=\"table-scroll\"><table class=\"compare\"><thead><tr><th>Measure</th>" +
                                     $"<th>{Markup.Text(clinic)}</th><th>Rest of the network</th>{(benchmarks.Count > 0 ? "<th>Published benchmark</th>" : "")}</tr></thead><tbody>");
        void Row(string measure, string mine, string theirs, string? key = null)
        {
            var bench = benchmarks.FirstOrDefault(b => b.Measure == key);
            html.Append($"<tr data-measure=\"{Markup.Text(measure)}\"><th scope=\"row\">{Markup.Named(measure)}</th><td>{mine}</td><td>{theirs}</td>" +
                        (benchmarks.Count > 0 ? $"<td>{(bench is null ? "" : $"{Markup.Percent(bench.Rate)} <span class=\"meta\">({Markup.Text(bench.Source)})</span>")}</td>" : "") + "</tr>");
        }
        static string Count(Cell? c) => c is { } cell ? Markup.Count(cell) : "-";
        static string Rate(PublishedRate? r) => r?.Estimate is { } e ? $"{Markup.Percent(e)} <span class=\"meta\">({Markup.Percent(r.Lower)}-{Markup.Percent(r.Upper)}; {r.Events.Value}/{r.N.Value})</span>" : "-";
        static string Median(PublishedSurvival? s) => s?.Median.Estimate is { } m
            ? $"{m.ToString("0.#", CultureInfo.InvariantCulture)} <span class=\"meta\">({Bound(s.Median.Lower)}-{Bound(s.Median.Upper)})</span>" : "not reached";
        static string Bound(double? v) => v?.ToString("0.#", CultureInfo.InvariantCulture) ?? "?";
        Row("Courses", Count(own.Counts?.Enrolled), Count(network.Counts?.Enrolled));
        Row("Eligible courses", Count(own.Counts?.Eligible), Count(network.Counts?.Eligible));
        // A benchmark names its measure as a report's JSON does (camel case: "responseEver").
        foreach (var measure in Measures.Rates)
            Row(measure.Title, Rate(own.Response?[measure]), Rate(network.Response?[measure]), JsonNamingPolicy.CamelCase.ConvertName(measure.Key));
        Row("Median days to response", Median(own.TimeToResponse?.Days), Median(network.TimeToResponse?.Days));
        Row("Median sessions to response", Median(own.TimeToResponse?.Sessions), Median(network.TimeToResponse?.Sessions));
        return html.Append("</tbody></table></div>").ToString();
    }

    /// A named report as JSON (what the API returns) or CSV (one row per group and measure), for the caller's tier.
    private static async Task<IResult> Download(string name, string? format, string? clinicId, long? asOfPosition, HttpContext http, ClinicScope scope,
        ReportCatalog catalog, CohortReportService reports, CancellationToken ct)
    {
        if (catalog.Find(name) is not { } definition) return TypedResults.Problem(statusCode: 404, title: $"No report named '{name}'");
        if (format is not ("csv" or "json")) return TypedResults.Problem(statusCode: 400, title: $"format: must be csv or json, got '{format}'");
        var answer = await reports.Run(definition, scope, Audience(http, network: false), clinicId, asOfPosition, ct);
        if (answer.Report is not { } report) return Cohorts.CohortReportsApi.Refused(answer);
        var file = $"{name}-{report.Provenance.EventStorePosition}";
        http.Response.Headers.CacheControl = "no-store";
        return format == "json"
            ? TypedResults.File(JsonSerializer.SerializeToUtf8Bytes(report, Json), "application/json", file + ".json")
            : TypedResults.File(Encoding.UTF8.GetBytes(ReportCsv.Write(report)), "text/csv; charset=utf-8", file + ".csv");
    }

    /// The caller's clinics to choose from (an administrator of every clinic types one); `every` names an option for all
    /// of them, when the page allows it.
    internal static string ClinicPicker(ClinicScope scope, string? clinicId, string? every = null)
    {
        if (scope.AllClinics)
            return $"<label>Clinic <input name=\"clinicId\" value=\"{Markup.Text(clinicId)}\" placeholder=\"every clinic\" pattern=\"{Contracts.ContractLimits.Ecma(Contracts.ContractLimits.ClinicIdPattern)}\"></label>";
        var html = new StringBuilder("<label>Clinic <select name=\"clinicId\">");
        if (every is not null) html.Append($"<option value=\"\">{Markup.Text(every)}</option>");
        foreach (var clinic in scope.Clinics.Order(StringComparer.Ordinal))
            html.Append($"<option value=\"{Markup.Text(clinic)}\"{(clinic == clinicId ? " selected" : "")}>{Markup.Text(clinic)}</option>");
        return html.Append("</select></label>").ToString();
    }

    /// The definitions in force, in plain language: on every page that shows outcomes.
    internal static string Definitions(OutcomeDefinitions definitions)
    {
        var html = new StringBuilder("<section class=\"plain-definitions\"><h2>What the terms mean</h2><dl class=\"definitions\">");
        foreach (var d in PlainLanguage.Of(definitions)) html.Append($"<dt>{Markup.Text(d.Term)}</dt><dd>{Markup.Text(d.Meaning)}</dd>");
        return html.Append($"</dl><p class=\"note\">Outcome definitions {Markup.Text(definitions.Id)} {Markup.Text(definitions.Version)}.</p></section>").ToString();
    }

    /// The rule the figures were published under and, for the protected tier, its parameters in plain words.
    private static string Disclosure(PublishedCohortReport report)
    {
        var parameters = StatedParameters.Plain(report.Disclosure);
        return $"<p class=\"note disclosure\" data-tier=\"{Markup.Text(report.Disclosure.Tier.ToString())}\">{Markup.Text(report.Disclosure.Rule)}</p>" +
               (parameters.Count == 0 ? "" : "<ul class=\"note disclosure-parameters\">" + string.Concat(parameters.Select(p => $"<li>{Markup.Text(p)}</li>")) + "</ul>");
    }
}

/// A published report as CSV: one row per group and measure, with the tier, the event-store position, the release
/// point and the perturbation parameters on every row, so a file read on its own (or rows pasted into another) still
/// says what it is. Columns rather than comment lines: every CSV reader keeps them without being told to.
internal static class ReportCsv
{
    public static string Write(PublishedCohortReport report)
    {
        var csv = new StringBuilder("group,measure,estimate,lower,upper,events,n,tier,event_store_position,release_id,release_cut_at,perturbation\r\n");
        var disclosure = report.Disclosure;
        var tier = disclosure.Tier switch
        {
            DisclosureTier.OwnClinics => "own-clinics",
            DisclosureTier.Protected => "protected",
            _ => "released-microdata",
        };
        var position = report.Provenance.EventStorePosition.ToString(CultureInfo.InvariantCulture);
        var stated = $"{tier},{position},{Int(disclosure.Release?.Id)},{disclosure.Release?.CutAt.ToString("O", CultureInfo.InvariantCulture)},{Field(StatedParameters.Compact(disclosure))}";
        void Row(string? group, string measure, double? estimate, double? lower, double? upper, int? events, int? n) =>
            csv.Append($"{Field(group ?? "all courses")},{measure},{Num(estimate)},{Num(lower)},{Num(upper)},{Int(events)},{Int(n)},{stated}\r\n");
        foreach (var g in new[] { report.Overall }.Concat(report.Groups))
        {
            if (g.Counts is { } c)
            {
                Row(g.Group, "enrolled", c.Enrolled.Value, null, null, null, null);
                Row(g.Group, "with-baseline", c.WithBaseline.Value, null, null, null, null);
                Row(g.Group, "eligible", c.Eligible.Value, null, null, null, null);
                foreach (var reason in c.EndReasons) Row(g.Group, "end-reason:" + reason.Reason, reason.Courses.Value, null, null, null, null);
            }
            if (g.Response is { } r)
                foreach (var measure in Measures.Rates)
                {
                    var rate = r[measure];
                    Row(g.Group, measure.Label, rate.Estimate, rate.Lower, rate.Upper, rate.Events.Value, rate.N.Value);
                }
            if (g.TimeToResponse is { } t)
            {
                Row(g.Group, "median-days-to-response", t.Days.Median.Estimate, t.Days.Median.Lower, t.Days.Median.Upper, t.Days.Events.Value, t.Days.N.Value);
                Row(g.Group, "median-sessions-to-response", t.Sessions.Median.Estimate, t.Sessions.Median.Lower, t.Sessions.Median.Upper,
                    t.Sessions.Events.Value, t.Sessions.N.Value);
            }
            if (g.Durability is { } d)
                foreach (var at in d.Days.SurvivalAt)
                    Row(g.Group, $"response-lasting-{at.Time.ToString(CultureInfo.InvariantCulture)}-days", at.Survival, at.Lower, at.Upper, null, d.Days.N.Value);
            if (g.Item9 is { } i)
            {
                Row(g.Group, "item9-positive-at-baseline", i.PositiveAtBaseline.Estimate, i.PositiveAtBaseline.Lower, i.PositiveAtBaseline.Upper,
                    i.PositiveAtBaseline.Events.Value, i.PositiveAtBaseline.N.Value);
                Row(g.Group, "item9-new-during-treatment", i.NewDuringTreatment.Estimate, i.NewDuringTreatment.Lower, i.NewDuringTreatment.Upper,
                    i.NewDuringTreatment.Events.Value, i.NewDuringTreatment.N.Value);
            }
        }
        return csv.ToString();
    }

    private static string Num(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "";
    private static string Int(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "";
    private static string Field(string text) => text.Contains(',') || text.Contains('"') ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
}
