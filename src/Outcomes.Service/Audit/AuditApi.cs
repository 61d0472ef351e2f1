using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Outcomes.Service.Security;

namespace Outcomes.Service.Audit;

/// The access audit: who read which course-level data. Registration, and the administrators' listing and export.
public static class AuditApi
{
    public const int DefaultLimit = 1000;
    public const int MaximumLimit = 100_000;

    public static IServiceCollection AddAccessAudit(this IServiceCollection services)
    {
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AccessAuditLog>();
        services.AddScoped<CourseReads>();
        services.AddScoped<AccessAudit>();
        services.AddHostedService<AuditRetention>();
        services.Configure<OpenApiOptions>("v1", o => o.AddOperationTransformer<AuditedOperations>());
        return services;
    }

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/audit").WithTags("Access audit").RequireAccess(AccessPolicies.Admin);
        group.MapGet("/", List)
            .WithSummary("Who read which course-level data, newest first (administrators)")
            .WithDescription("Filters: clinicId (records that involve the clinic), subject, since (ISO 8601), limit (1-100000, default 1000). " +
                "An administrator whose token names clinics sees the records whose clinics all lie within them. Never holds PHQ-9 values.")
            .Produces<IReadOnlyList<CourseAccess>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/fhir", Fhir)
            .WithSummary("The same records as FHIR R4 AuditEvent resources, one JSON object per line (application/fhir+ndjson)")
            .Produces<string>(StatusCodes.Status200OK, FhirAuditEvent.MediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    private static async Task<IResult> List(string? clinicId, string? subject, DateTimeOffset? since, int? limit, ClinicScope scope,
        AccessAuditLog log, CancellationToken cancellationToken)
    {
        if (Query(clinicId, subject, since, limit, scope) is not { } query) return BadLimit(limit);
        if (clinicId is not null && !scope.Includes(clinicId)) return ClinicScope.OutOfScope(clinicId);
        return TypedResults.Ok(await log.ListAsync(query, cancellationToken));
    }

    private static async Task<IResult> Fhir(string? clinicId, string? subject, DateTimeOffset? since, int? limit, ClinicScope scope,
        AccessAuditLog log, HttpContext http, CancellationToken cancellationToken)
    {
        if (Query(clinicId, subject, since, limit, scope) is not { } query) return BadLimit(limit);
        if (clinicId is not null && !scope.Includes(clinicId)) return ClinicScope.OutOfScope(clinicId);
        var records = await log.ListAsync(query, cancellationToken);
        http.Response.ContentType = FhirAuditEvent.MediaType;
        http.Response.Headers.CacheControl = "no-store";
        await using var writer = new StreamWriter(http.Response.Body, new System.Text.UTF8Encoding(false));
        foreach (var record in records)
        {
            await writer.WriteAsync(FhirAuditEvent.From(record).ToJsonString(JsonOptions));
            await writer.WriteAsync('\n');
        }
        return Results.Empty;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    private static AccessAuditQuery? Query(string? clinicId, string? subject, DateTimeOffset? since, int? limit, ClinicScope scope) =>
        limit is < 1 or > MaximumLimit
            ? null
            : new AccessAuditQuery(clinicId, subject, since, limit ?? DefaultLimit, scope.AllClinics ? null : scope.Clinics);

    private static IResult BadLimit(int? limit) =>
        TypedResults.Problem(statusCode: 400, title: $"limit: must be between 1 and {MaximumLimit}, got {limit}");
}
