using Marten;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Outcomes.Service.Security;

namespace Outcomes.Service.Disclosure;

/// The disclosure layer's registration and its release points: listed for every report reader (a protected report
/// names the release it stands at), cut on demand by an administrator (besides the calendar).
public static class DisclosureApi
{
    public static IServiceCollection AddDisclosureControl(this IServiceCollection services)
    {
        services.AddOptions<DisclosureOptions>().BindConfiguration(DisclosureOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.ConfigureMarten(options =>
        {
            options.Storage.ExtendedSchemaObjects.AddRange(Releases.Tables(options.DatabaseSchemaName));
            options.Storage.ExtendedSchemaObjects.Add(DifferencingLockOut.Table(options.DatabaseSchemaName));
        });
        services.AddSingleton<Releases>();
        services.AddSingleton<DifferencingLockOut>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<ReleaseSchedule>();
        return services;
    }

    public static IEndpointRouteBuilder MapDisclosureApi(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api/v1/releases").WithTags("Disclosure").RequireAccess(AccessPolicies.QualityResearcherOrAdmin);
        read.MapGet("/", async (Releases releases, CancellationToken cancellationToken) => TypedResults.Ok(await releases.ListAsync(cancellationToken)))
            .WithSummary("Release points of the protected tier, newest first")
            .WithDescription("Protected figures (another clinic's courses, the network, any researcher's report) are answered only as of a " +
                "release point. `answers` is false for releases whose snapshot was dropped (Disclosure:KeepReleases).")
            .Produces<IReadOnlyList<ReleaseSummary>>();

        var cut = app.MapGroup("/api/v1/releases").WithTags("Disclosure").RequireAccess(AccessPolicies.Admin);
        cut.MapPost("/", async (Releases releases, TimeProvider clock, CancellationToken cancellationToken) =>
            {
                try
                {
                    return Results.Ok(await releases.CutAsync(clock.GetUtcNow(), cancellationToken));
                }
                catch (ReleaseNotPossibleException e)
                {
                    return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: e.Message);
                }
            })
            .WithSummary("Cut a release point now (administrators)")
            .WithDescription("Besides the calendar (Disclosure:ReleaseEvery). Every protected report then stands at this release.")
            .Produces<ReleaseSummary>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }
}
