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
        }).AllowAnonymous();
        return app;
    }
}
