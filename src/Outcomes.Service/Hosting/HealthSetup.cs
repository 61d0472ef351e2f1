using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace Outcomes.Service.Hosting;

public static class HealthSetup
{
    public static IServiceCollection AddOutcomesHealth(this IServiceCollection services, IConfiguration configuration)
    {
        // RabbitMQ readiness comes from MassTransit's own bus health check (tag "ready"): it reports
        // unhealthy while the bus is not connected or an endpoint is faulted.
        services.AddHealthChecks()
            .AddNpgSql(configuration.GetConnectionString("Outcomes")!, name: "postgresql", tags: ["ready"]);
        return services;
    }

    public static IEndpointRouteBuilder MapOutcomesHealth(this IEndpointRouteBuilder app)
    {
        // Anonymous for orchestrators' probes: the answers name dependencies and their status, no data.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = HealthReportWriter.Write,
            // MassTransit reports a bus that lost its broker as Degraded, which ASP.NET Core answers with 200: an
            // orchestrator would keep sending traffic to an instance that can ingest nothing. Not ready is 503.
            ResultStatusCodes =
            {
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy] = StatusCodes.Status200OK,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        }).AllowAnonymous();
        return app;
    }
}
