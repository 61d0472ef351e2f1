using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Disclosure;
using Outcomes.Service.Security;

namespace Outcomes.Service.Cohorts;

public sealed class ReportsOptions
{
    public const string Section = "Reports";

    /// Folder of named report definitions (analytics/reports, copied next to the service).
    public string Folder { get; set; } = Path.Combine(AppContext.BaseDirectory, "reports");
}

/// Named cohort reports over the caller's clinics, computed from the event store as of a position,
/// published by the caller's disclosure tier (ReportDisclosure) before anything leaves the service.
public static class CohortReportsApi
{
    public static IServiceCollection AddCohortReports(this IServiceCollection services)
    {
        services.AddOptions<ReportsOptions>().BindConfiguration(ReportsOptions.Section);
        services.AddSingleton(sp =>
        {
            var folder = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ReportsOptions>>().Value.Folder;
            var (catalog, problems) = ReportCatalog.LoadFolder(folder);
            if (problems.Count > 0)
                throw new InvalidOperationException("Report definitions are invalid: " +
                    string.Join("; ", problems.Select(p => $"{p.File}: {p.Field}: {p.Rule}")));
            return catalog;
        });
        services.AddSingleton<CohortReportService>();
        return services;
    }

    public static IEndpointRouteBuilder MapCohortReportsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/reports").WithTags("Cohort reports").RequireAccess(AccessPolicies.QualityResearcherOrAdmin);
        group.MapGet("/", List).WithSummary("The named report definitions").Produces<IEnumerable<ReportSummary>>();
        group.MapGet("/{name}", Get)
            .WithSummary("A named cohort report: the caller's own clinics exactly, or protected (network, researchers)")
            .WithDescription("Own clinics (quality, admin): exact; asOfPosition recomputes the report as of an earlier event-store " +
                "position, and the same position always gives the same report. clinicId narrows it to one clinic in the caller's scope. " +
                "coverage=network covers every clinic's courses and, like every researcher's report, is published in the protected tier: " +
                "cell-key perturbation at the latest release point (asOfPosition may name a release point only). The report's " +
                "`disclosure` states the tier and its parameters.")
            .Produces<PublishedCohortReport>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    /// Set when a report was read from the streaming replica (ConnectionStrings:OutcomesRead): the event-store position it
    /// had replayed.
    public const string ReplicaPositionHeader = "X-Read-Replica-Position";

    /// The "coverage" query parameter: the caller's own clinics (default) or the whole network (always protected).
    internal static bool? Coverage(string? value) => value switch
    {
        null or "own" => false,
        "network" => true,
        _ => null,
    };

    public sealed record ReportSummary(string Name, string Version, string Title, string? Description);

    private static IResult List(ReportCatalog catalog) =>
        TypedResults.Ok(catalog.Names.Select(n => catalog.Find(n)!).Select(d => new ReportSummary(d.Name, d.Version, d.Title, d.Description)));

    private static async Task<IResult> Get(string name, long? asOfPosition, string? clinicId,
        string? coverage, ClinicScope scope, HttpContext http,
        Microsoft.Extensions.Options.IOptions<DisclosureOptions> disclosure, ReportCatalog catalog, CohortReportService reports,
        CancellationToken cancellationToken)
    {
        if (catalog.Find(name) is not { } definition)
            return TypedResults.Problem(statusCode: 404, title: $"No report named '{name}'; see GET /api/v1/reports");
        if (Coverage(coverage) is not { } network)
            return TypedResults.Problem(statusCode: 400, title: $"coverage: must be 'own' or 'network', got '{coverage}'");
        var answer = await reports.Run(definition, scope, ReportAudience.Of(http.User, network, disclosure.Value), clinicId, asOfPosition,
            cancellationToken);
        if (answer.ReplicaPosition is { } replayed)
            http.Response.Headers[ReplicaPositionHeader] = replayed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return answer.Report is { } report ? TypedResults.Ok(report) : Refused(answer);
    }

    /// A refused report over HTTP: the one place that turns a refusal into a status code (the dashboard's pages too).
    internal static int StatusOf(ReportRefusal refusal) => refusal switch
    {
        ReportRefusal.Invalid => StatusCodes.Status400BadRequest,
        ReportRefusal.OutOfScope => StatusCodes.Status403Forbidden,
        ReportRefusal.NotReplayedYet => StatusCodes.Status409Conflict,
        ReportRefusal.NoRelease => StatusCodes.Status503ServiceUnavailable,
        ReportRefusal.BudgetUsed => StatusCodes.Status429TooManyRequests,
        ReportRefusal.Anonymous => StatusCodes.Status403Forbidden,
        _ => throw new ArgumentOutOfRangeException(nameof(refusal), refusal, "not a report refusal"),
    };

    /// A refused report as the API's problem document; a clinic out of scope as every API endpoint says it.
    internal static IResult Refused(ReportAnswer answer) => answer.OutOfScopeClinic is { } clinic
        ? ClinicScope.OutOfScope(clinic)
        : TypedResults.Problem(statusCode: StatusOf(answer.Refusal!.Value), title: answer.Problem,
            extensions: answer.ReplicaPosition is { } r ? new Dictionary<string, object?> { ["replicaPosition"] = r } : null);
}
