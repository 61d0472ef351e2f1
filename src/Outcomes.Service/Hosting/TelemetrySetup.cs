using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Outcomes.Service.Security;

namespace Outcomes.Service.Hosting;

public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// Where traces and metrics are pushed (OTLP). Unset, nothing is sent anywhere: the standard
    /// OTEL_EXPORTER_OTLP_ENDPOINT is honoured too, so a collector is always an operator's explicit choice.
    public Uri? OtlpEndpoint { get; set; }

    /// "grpc" (port 4317 by convention) or "http/protobuf" (4318).
    [RegularExpression("^(grpc|http/protobuf)$", ErrorMessage = "Telemetry:OtlpProtocol: must be grpc or http/protobuf")]
    public string OtlpProtocol { get; set; } = "grpc";

    /// How often metrics are pushed to the OTLP endpoint, and traces flushed to it.
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Telemetry:ExportEvery: must be between 0.1 s and 1 h")]
    public TimeSpan ExportEvery { get; set; } = TimeSpan.FromSeconds(15);

    /// The Prometheus scrape endpoint, served to administrators' tokens on the service's own port (a scraper
    /// sends one as its bearer token). Empty: not served.
    public string MetricsPath { get; set; } = "/metrics";

    /// How often the ingestion queues' depth is asked of the broker.
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Telemetry:QueueDepthEvery: must be between 0.1 s and 1 h")]
    public TimeSpan QueueDepthEvery { get; set; } = TimeSpan.FromSeconds(15);
}

/// What telemetry leaves the service, decided once at start-up from configuration: a fact a test and an
/// operator can read (nothing is pushed anywhere unless an OTLP endpoint is configured).
public sealed record TelemetryExports(Uri? Otlp, string? ScrapePath);

/// OpenTelemetry traces and metrics: ASP.NET Core, Npgsql (its own ActivitySource and Meter "Npgsql"),
/// MassTransit (ActivitySource and Meter "MassTransit") and ours (OutcomesMetrics). Traces are collected only
/// when they go somewhere (an OTLP endpoint); metrics always, for the scrape endpoint.
public static class TelemetrySetup
{
    public static IServiceCollection AddOutcomesTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var otlp = options.OtlpEndpoint
            ?? (Uri.TryCreate(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"], UriKind.Absolute, out var standard) ? standard : null);
        var exports = new TelemetryExports(otlp, string.IsNullOrWhiteSpace(options.MetricsPath) ? null : options.MetricsPath);
        services.AddSingleton(exports);
        services.AddSingleton<OutcomesMetrics>();

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("outcomes-service", serviceInstanceId: Environment.MachineName + "/" + Environment.ProcessId))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(OutcomesMetrics.MeterName, "MassTransit", "Npgsql").AddAspNetCoreInstrumentation();
                // The SDK's default buckets (0-10,000) suit milliseconds; ours are seconds, from a fast batch to a slow export.
                metrics.AddView(instrument => instrument.Meter.Name == OutcomesMetrics.MeterName && instrument.Unit == "s"
                    ? new ExplicitBucketHistogramConfiguration { Boundaries = SecondsBuckets }
                    : null);
                if (exports.ScrapePath is not null) metrics.AddPrometheusExporter();
                if (otlp is not null)
                    metrics.AddOtlpExporter((exporter, reader) =>
                    {
                        Point(exporter, otlp, options, "v1/metrics");
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.ExportEvery.TotalMilliseconds;
                    });
            });
        if (otlp is not null)
            telemetry.WithTracing(tracing => tracing
                .AddSource(OutcomesMetrics.ActivitySourceName, "MassTransit", "Npgsql")
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddOtlpExporter(exporter =>
                {
                    Point(exporter, otlp, options, "v1/traces");
                    exporter.BatchExportProcessorOptions.ScheduledDelayMilliseconds = (int)options.ExportEvery.TotalMilliseconds;
                }));
        return services;
    }

    private static readonly double[] SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    /// OTLP over HTTP names a path per signal; over gRPC the endpoint is the collector itself.
    private static void Point(OtlpExporterOptions exporter, Uri endpoint, TelemetryOptions options, string signalPath)
    {
        var http = options.OtlpProtocol == "http/protobuf";
        exporter.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        exporter.Endpoint = http ? new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + "/" + signalPath) : endpoint;
    }

    /// The scrape endpoint, for administrators only: the metrics name queues, clinics' rejection fields and
    /// timings, which are operators' business.
    public static IEndpointRouteBuilder MapOutcomesTelemetry(this IEndpointRouteBuilder app)
    {
        var exports = app.ServiceProvider.GetRequiredService<TelemetryExports>();
        if (exports.ScrapePath is { } path)
            app.MapPrometheusScrapingEndpoint(path).RequireAuthorization(AccessPolicies.Admin);
        return app;
    }
}
