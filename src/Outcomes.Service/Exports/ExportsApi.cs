using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Marten;
using Microsoft.Extensions.Options;
using Outcomes.Contracts;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Exports;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Security;

namespace Outcomes.Service.Exports;

/// POST body: a named report or an ad-hoc filter, and a format; or a manifest of an earlier export to reproduce it.
public sealed record ExportRequest(string? Report, CohortFilter? Filter, string? Format, ExportManifest? Manifest);

/// Research exports: de-identified, reproducible row-level datasets in one zip, recorded in the audit stream.
public static class ExportsApi
{
    public static IServiceCollection AddResearchExports(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<ExportsOptions>, ExportsOptionsValidation>();
        services.AddOptions<ExportsOptions>().BindConfiguration(ExportsOptions.Section);
        services.AddSingleton<EventStoreCourses>();
        services.ConfigureMarten(o => o.Events.AddEventType<ExportRecorded>());
        return services;
    }

    public static IEndpointRouteBuilder MapExportsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/exports").WithTags("Research exports").RequireAccess(AccessPolicies.Researcher)
            .MapPost("/", Export)
            .Accepts<ExportRequest>("application/json")
            .WithSummary("A de-identified export of a cohort over the caller's clinics, as one zip")
            .WithDescription("Body: {\"report\": name} or {\"filter\": {...}}, with \"format\": \"csv\" or \"parquet\"; or " +
                "{\"manifest\": <manifest.json of an earlier export>} to reproduce it byte for byte. The zip holds subjects, " +
                "assessments and sessions, data-dictionary.json/.md and manifest.json. Every export is recorded for audit.")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/zip")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGroup("/api/v1/exports").WithTags("Research exports").RequireAccess(AccessPolicies.Admin)
            .MapGet("/", List)
            .WithSummary("The export audit: every export, who made it, of what, and the SHA-256 of each file")
            .Produces<IReadOnlyList<ExportRecorded>>();
        return app;
    }

    private static async Task<IResult> List(IQuerySession session, CancellationToken cancellationToken) =>
        TypedResults.Ok(await session.Events.QueryRawEventDataOnly<ExportRecorded>().OrderBy(e => e.RecordedAt).ToListAsync(cancellationToken));

    /// The request and its filter are read strictly: an unknown property there (a typo such as "modalities" for
    /// "modality") is refused naming it, where the service's lenient JSON reading ignored it and exported every course.
    /// A manifest is read as before: it is the service's own file, given back.
    private static JsonSerializerOptions? _strictBody;

    private static JsonSerializerOptions StrictBody(HttpContext context) => _strictBody ??= StrictOf(context);

    private static JsonSerializerOptions StrictOf(HttpContext context)
    {
        var service = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        return new JsonSerializerOptions(service)
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver
            {
                Modifiers =
                {
                    type =>
                    {
                        if (type.Type == typeof(ExportRequest) || type.Type == typeof(CohortFilter))
                            type.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
                    },
                },
            },
        };
    }

    private static async Task<IResult> Export(HttpRequest body, HttpContext context, ClinicScope scope, ReportCatalog catalog,
        OutcomeDefinitions serviceDefinitions, EventStoreCourses courses, IOptions<ExportsOptions> configured,
        IDocumentStore store, ILoggerFactory loggers)
    {
        ExportRequest request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<ExportRequest>(body.Body, StrictBody(context), context.RequestAborted)
                      ?? throw new JsonException("The body is the JSON literal null.");
        }
        catch (JsonException e)
        {
            // The path names the property itself ("$.filter.modalities").
            var field = (e.Path ?? "$").TrimStart('$').TrimStart('.');
            return e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? Bad(field, field.StartsWith("filter.", StringComparison.Ordinal)
                    ? "is not a filter property (clinic, modality, ageBand, sex, diagnosisGroup, baselineSeverity, priorFailedTrials, firstSessionFrom, firstSessionTo)"
                    : "is not a property of an export request (report, filter, format, manifest)")
                : Bad(field.Length == 0 ? "body" : field, "must be JSON of an export request: " + e.Message);
        }
        var options = configured.Value;
        var problems = new ExportsOptionsValidation(context.RequestServices.GetRequiredService<IHostEnvironment>()).Validate(null, options);
        if (problems.Failed)
            return TypedResults.Problem(statusCode: 503, title: "Exports are not configured", detail: problems.FailureMessage);

        var caller = context.User;
        var clinicIds = caller.IsInRole(AccessToken.Roles.Admin);
        var clinics = scope.AllClinics ? await courses.ClinicsAsync(context.RequestAborted) : scope.Clinics.ToList();
        var scopeClinics = scope.AllClinics ? [AccessToken.AllClinics] : clinics;
        var archive = new ExportArchive(courses, options);

        ExportPlan plan;
        if (request.Manifest is { } manifest)
        {
            if (manifest.FormatVersion != ExportManifest.CurrentFormatVersion)
                return Bad("manifest.formatVersion", $"must be {ExportManifest.CurrentFormatVersion}, got '{manifest.FormatVersion}'");
            if (manifest.ScopeFingerprint != archive.ScopeFingerprint(scopeClinics))
                return TypedResults.Problem(statusCode: 403, title: "The manifest was made for other clinics than this caller's");
            if (manifest.ClinicIdentifiers == ExportManifest.Ids && !clinicIds)
                return TypedResults.Problem(statusCode: 403, title: "The manifest shows clinic ids, which this caller may not see");
            var violations = manifest.Definitions.Validate().Select(v => ($"manifest.definitions.{v.Field}", v.Rule))
                .Concat(manifest.Filter.Validate("manifest.filter").Select(v => (v.Field, v.Rule))).ToList();
            if (violations.Count > 0) return Bad(violations[0].Item1, violations[0].Item2);
            if (manifest.Format is not (ExportArchive.Csv or ExportArchive.Parquet)) return Bad("manifest.format", "must be csv or parquet");
            if (manifest.Deidentification.K < options.K) return Bad("manifest.deidentification.k", $"must be at least {options.K}");
            byte[] seed;
            try
            {
                seed = Convert.FromHexString(manifest.Seed);
            }
            catch (FormatException)
            {
                return Bad("manifest.seed", "must be hexadecimal");
            }
            if (seed.Length != ExportKeys.SeedBytes) return Bad("manifest.seed", $"must be {ExportKeys.SeedBytes} bytes");
            var latest = await courses.LatestPositionAsync(context.RequestAborted);
            if (manifest.EventStorePosition < 0) return Bad("manifest.eventStorePosition", "must be 0 or more");
            if (manifest.EventStorePosition > latest) return Bad("manifest.eventStorePosition", $"must not be beyond the latest position ({latest})");
            plan = new ExportPlan(manifest.Report, manifest.Filter, manifest.Definitions, manifest.InductionWindowDays, manifest.Format,
                manifest.EventStorePosition, seed, manifest.Deidentification.K, manifest.ClinicIdentifiers == ExportManifest.Ids, clinics);
        }
        else
        {
            if (request.Format is not (ExportArchive.Csv or ExportArchive.Parquet)) return Bad("format", "must be csv or parquet");
            ReportDefinition? report = null;
            CohortFilter filter;
            if (request.Report is { } name)
            {
                if (request.Filter is not null) return Bad("filter", "give a report or a filter, not both");
                report = catalog.Find(name);
                if (report is null) return TypedResults.Problem(statusCode: 404, title: $"No report named '{name}'; see GET /api/v1/reports");
                filter = report.Filter;
            }
            else if (request.Filter is { } adHoc)
            {
                var violations = adHoc.Validate();
                if (violations.Count > 0) return Bad(violations[0].Field, violations[0].Rule);
                filter = adHoc;
            }
            else return Bad("report", "give a report name, a filter or a manifest");
            foreach (var clinic in filter.Clinic ?? [])
                if (!scope.Includes(clinic)) return ClinicScope.OutOfScope(clinic);
            plan = new ExportPlan(report, filter, serviceDefinitions,
                report?.Options.InductionWindowDays ?? serviceDefinitions.InductionWindowDays, request.Format, null,
                ExportKeys.NewSeed(), options.K, clinicIds, clinics);
        }

        var outcome = await archive.BuildAsync(plan, context.RequestAborted);
        var delivered = false;
        try
        {
            var response = context.Response;
            response.ContentType = "application/zip";
            response.ContentLength = outcome.ArchiveBytes;
            response.Headers.ContentDisposition = $"attachment; filename=\"outcomes-export-{outcome.Manifest.EventStorePosition}.zip\"";
            response.Headers["X-Event-Store-Position"] = outcome.Manifest.EventStorePosition.ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers["X-Archive-Sha256"] = outcome.ArchiveSha256;
            await using (var file = new FileStream(outcome.ArchivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous))
                await file.CopyToAsync(response.Body, context.RequestAborted);
            await response.CompleteAsync();
            delivered = true;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            loggers.CreateLogger(typeof(ExportsApi)).LogWarning("Export at position {Position} was not fully delivered: {Reason}",
                outcome.Manifest.EventStorePosition, e.Message);
        }
        finally
        {
            File.Delete(outcome.ArchivePath);
            await Record(store, caller, scopeClinics, outcome, request.Manifest is not null, delivered);
        }
        return Results.Empty;
    }

    /// Appended whether or not the caller took every byte: a partly sent export may still have disclosed rows.
    private static async Task Record(IDocumentStore store, ClaimsPrincipal caller, IReadOnlyList<string> clinics, ExportOutcome outcome,
        bool reproduction, bool delivered)
    {
        var m = outcome.Manifest;
        await using var session = store.LightweightSession();
        session.Events.Append(ExportRecorded.AuditStream, new ExportRecorded(
            Guid.NewGuid(), DateTimeOffset.UtcNow, caller.FindFirstValue(AccessToken.SubjectClaim) ?? "",
            caller.FindAll(AccessToken.RoleClaim).Select(c => c.Value).Order(StringComparer.Ordinal).ToArray(),
            clinics.Order(StringComparer.Ordinal).ToArray(), m.Report?.Name, m.Filter, m.Definitions.Id, m.Definitions.Version,
            m.DefinitionsFingerprint, m.EventStorePosition, m.AsOf, m.Seed, m.Format, m.ClinicIdentifiers, m.Deidentification, m.Files,
            outcome.ArchiveSha256, outcome.ArchiveBytes, reproduction, delivered));
        await session.SaveChangesAsync(CancellationToken.None);
    }

    private static IResult Bad(string field, string rule) => TypedResults.Problem(statusCode: 400, title: $"{field}: {rule}");
}
