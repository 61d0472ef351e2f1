using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Security;

namespace Outcomes.Service.Cohorts;

public sealed class ReportsOptions
{
    public const string Section = "Reports";

    /// Folder of named report definitions (analytics/reports, copied next to the service).
    public string Folder { get; set; } = Path.Combine(AppContext.BaseDirectory, "reports");

    /// The smallest suppression threshold a caller's own (ad-hoc) definition may ask for: named definitions are
    /// reviewed when committed, ad-hoc ones are not, so a caller cannot lower suppression below this.
    public int MinimumAdHocThreshold { get; set; } = 11;
}

/// Named cohort reports over the caller's clinics, computed from the event store as of a position,
/// small cells suppressed before anything leaves the service.
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
            .WithSummary("A named cohort report over the caller's clinics, small cells suppressed")
            .WithDescription("asOfPosition recomputes the report as of an earlier event-store position; the same position always " +
                "gives the same report. clinicId narrows it to one clinic in the caller's scope.")
            .Produces<PublishedCohortReport>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    public sealed record ReportSummary(string Name, string Version, string Title, string? Description);

    private static IResult List(ReportCatalog catalog) =>
        TypedResults.Ok(catalog.Names.Select(n => catalog.Find(n)!).Select(d => new ReportSummary(d.Name, d.Version, d.Title, d.Description)));

    private static async Task<IResult> Get(string name, long? asOfPosition, string? clinicId, ClinicScope scope,
        ReportCatalog catalog, CohortReportService reports, CancellationToken cancellationToken)
    {
        if (catalog.Find(name) is not { } definition)
            return TypedResults.Problem(statusCode: 404, title: $"No report named '{name}'; see GET /api/v1/reports");
        if (clinicId is not null && !scope.Includes(clinicId))
            return ClinicScope.OutOfScope(clinicId);
        var answer = await reports.Run(definition, scope, clinicId, asOfPosition, cancellationToken);
        return answer.Report is { } report
            ? TypedResults.Ok(report)
            : TypedResults.Problem(statusCode: answer.Status, title: answer.Problem);
    }
}
