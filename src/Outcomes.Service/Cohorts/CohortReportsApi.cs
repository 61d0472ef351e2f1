using Marten;
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
        services.AddSingleton(OutcomeDefinitions.Default);
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
        ReportCatalog catalog, OutcomeDefinitions definitions, IQuerySession session, CancellationToken cancellationToken)
    {
        if (catalog.Find(name) is not { } definition)
            return TypedResults.Problem(statusCode: 404, title: $"No report named '{name}'; see GET /api/v1/reports");
        if (clinicId is not null && !scope.Includes(clinicId))
            return ClinicScope.OutOfScope(clinicId);
        if (asOfPosition is < 0)
            return TypedResults.Problem(statusCode: 400, title: "asOfPosition: must be 0 or greater");

        var latest = await LatestPosition(session, cancellationToken);
        var position = asOfPosition ?? latest;
        if (position > latest)
            return TypedResults.Problem(statusCode: 400, title: $"asOfPosition: must not be beyond the latest position ({latest})");

        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.Sequence <= position)
            .OrderBy(e => e.Sequence)
            .ToListAsync(cancellationToken);
        // The report's clock is the store's own time at that position, so asking again gives the same answer.
        var asOf = events.Count == 0 ? DateTimeOffset.UnixEpoch : events.Max(e => e.Timestamp);
        var members = events
            .Where(e => CourseKey.TryParse(e.StreamKey, out _))
            .GroupBy(e => e.StreamKey!)
            .Select(stream => (Key: CourseKey.Parse(stream.Key), Facts: stream.Select(e => e.Data)))
            .Where(c => scope.Includes(c.Key.ClinicId) && (clinicId is null || c.Key.ClinicId == clinicId))
            .Select(c => CohortMember.From(c.Key, CourseFacts.From(c.Facts), definitions, asOf))
            .ToList();

        var report = CohortReport.Compute(members, definition,
            new ReportProvenance(definitions.Id, definitions.Version, position, asOf));
        return TypedResults.Ok(SmallCellSuppression.Apply(report));
    }

    private static async Task<long> LatestPosition(IQuerySession session, CancellationToken cancellationToken)
    {
        var stats = await session.DocumentStore.Advanced.FetchEventStoreStatistics(token: cancellationToken);
        return stats.EventSequenceNumber;
    }
}
