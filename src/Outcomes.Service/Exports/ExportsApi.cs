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
using Outcomes.Service.Audit;
using Outcomes.Service.Disclosure;
using Outcomes.Service.Security;

namespace Outcomes.Service.Exports;

/// POST body: a named report or an ad-hoc filter, a format and optionally a release id (default: the latest release
/// point); or a manifest of an earlier export to reproduce it.
public sealed record ExportRequest(string? Report, CohortFilter? Filter, string? Format, ExportManifest? Manifest, int? Release = null);

/// Research exports: subsets of a release's one anonymised table, reproducible, in one zip, recorded in the audit stream.
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
            .WithSummary("A de-identified export of a cohort over the caller's clinics, as one zip: a subset of a release's anonymised table")
            .WithDescription("Body: {\"report\": name} or {\"filter\": {...}}, with \"format\": " +
                string.Join(" or ", ExportFormats.All.Select(f => $"\"{f.Name}\"")) + " and optionally " +
                "\"release\": an id of GET /api/v1/releases (default: the latest); or {\"manifest\": <manifest.json of an earlier export>} " +
                "to reproduce it byte for byte. The release's whole population is anonymised once (k-anonymity over every exported " +
                "quasi-identifier); the filter selects on released values only. The zip holds subjects, assessments and sessions, " +
                "data-dictionary.json/.md and manifest.json. Every export is recorded for audit.")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/zip")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .AuditsCourseAccess(CourseAccessKinds.ResearchExport);
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
        OutcomeDefinitions serviceDefinitions, EventStoreCourses courses, Releases releases, IOptions<ExportsOptions> configured,
        IDocumentStore store, ILoggerFactory loggers, CourseReads reads)
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
                    : "is not a property of an export request (report, filter, format, release, manifest)")
                : Bad(field.Length == 0 ? "body" : field, "must be JSON of an export request: " + e.Message);
        }
        var options = configured.Value;
        var problems = new ExportsOptionsValidation(context.RequestServices.GetRequiredService<IHostEnvironment>()).Validate(null, options);
        if (problems.Failed)
            return TypedResults.Problem(statusCode: 503, title: "Exports are not configured", detail: problems.FailureMessage);

        var caller = context.User;
        var clinicIds = caller.IsInRole(AccessToken.Roles.Admin);
        var releaseClinics = await courses.ClinicsAsync(context.RequestAborted);
        var clinics = scope.AllClinics ? releaseClinics : scope.Clinics.ToList();
        var scopeClinics = scope.AllClinics ? [AccessToken.AllClinics] : clinics;
        var archive = new ExportArchive(courses, options);
        var known = await releases.ListAsync(context.RequestAborted);

        ExportPlan plan;
        if (request.Manifest is { } manifest)
        {
            if (manifest.FormatVersion != ExportManifest.CurrentFormatVersion)
                return Bad("manifest.formatVersion", $"must be {ExportManifest.CurrentFormatVersion}, got '{manifest.FormatVersion}'");
            if (manifest.ScopeFingerprint != archive.ScopeFingerprint(scopeClinics))
                return TypedResults.Problem(statusCode: 403, title: "The manifest was made for other clinics than this caller's");
            if (manifest.ClinicIdentifiers == ExportManifest.Ids && !clinicIds)
                return TypedResults.Problem(statusCode: 403, title: "The manifest shows clinic ids, which this caller may not see");
            foreach (var clinic in (manifest.Filter?.Clinic ?? []).Concat(manifest.Report?.Filter.Clinic ?? []))
                if (!scope.Includes(clinic)) return ClinicScope.OutOfScope(clinic);
            if (manifest.Filter is null) return Bad("manifest.filter", "is required");
            var violations = manifest.Definitions.Validate().Select(v => ($"manifest.definitions.{v.Field}", v.Rule))
                .Concat(manifest.Filter.Validate("manifest.filter").Select(v => (v.Field, v.Rule)))
                .Concat(ReleasedFilter.Validate(manifest.Filter, "manifest.filter").Select(v => (v.Field, v.Rule))).ToList();
            if (violations.Count > 0) return Bad(violations[0].Item1, violations[0].Item2);
            if (ExportFormats.Find(manifest.Format) is null) return Bad("manifest.format", ExportFormats.Rule);
            if (manifest.Release is null) return Bad("manifest.release", "is required: the release the export is a subset of");
            if (known.FirstOrDefault(r => r.Id == manifest.Release.Id) is not { } release)
                return Bad("manifest.release.id", $"no release {manifest.Release.Id}; see GET /api/v1/releases");
            var point = Point(release);
            if (manifest.Release != point)
                return Bad("manifest.release", $"must be release {release.Id} as cut (position {point.EventStorePosition}, cut at {point.CutAt:O})");
            if (manifest.EventStorePosition != point.EventStorePosition)
                return Bad("manifest.eventStorePosition", $"must be release {release.Id}'s position ({point.EventStorePosition}), got {manifest.EventStorePosition}");
            var seed = ExportKeys.ReleaseSeed(options.Key(), point.Id, point.EventStorePosition, point.CutAt);
            if (!string.Equals(manifest.Seed, Convert.ToHexStringLower(seed), StringComparison.OrdinalIgnoreCase))
                return Bad("manifest.seed", $"must be release {release.Id}'s seed (the manifest's as exported)");
            var parameters = await ParametersAsync(store, point.Id, options, context.RequestAborted);
            if (manifest.Deidentification?.K != parameters.K)
                return Bad("manifest.deidentification.k", $"must be release {release.Id}'s k ({parameters.K}): a release is anonymised once");
            if (manifest.Deidentification.GeneralisationOrder is not { } order || !order.SequenceEqual(parameters.GeneralisationOrder))
                return Bad("manifest.deidentification.generalisationOrder",
                    $"must be release {release.Id}'s order ({string.Join(", ", parameters.GeneralisationOrder)}): a release is anonymised once");
            plan = new ExportPlan(manifest.Report, manifest.Filter, manifest.Definitions, manifest.InductionWindowDays, manifest.Format,
                point, seed, parameters, options.RiskThreshold, manifest.ClinicIdentifiers == ExportManifest.Ids, clinics, releaseClinics);
        }
        else
        {
            if (ExportFormats.Find(request.Format) is not { } format) return Bad("format", ExportFormats.Rule);
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
            if (ReleasedFilter.Validate(filter, "filter") is [var broken, ..]) return Bad(broken.Field, broken.Rule);
            foreach (var clinic in filter.Clinic ?? [])
                if (!scope.Includes(clinic)) return ClinicScope.OutOfScope(clinic);
            var release = request.Release is { } id
                ? known.FirstOrDefault(r => r.Id == id && r.Answers)
                : known.Where(r => r.Answers).MaxBy(r => r.Id);
            if (release is null)
                return request.Release is { } missing
                    ? Bad("release", $"no release {missing} that answers under the current definitions; see GET /api/v1/releases")
                    : TypedResults.Problem(statusCode: 409, title: "No release point yet: exports are subsets of a release " +
                        "(cut on the calendar, Disclosure:ReleaseEvery, or by an administrator: POST /api/v1/releases)");
            var point = Point(release);
            plan = new ExportPlan(report, filter, serviceDefinitions,
                report?.Options.InductionWindowDays ?? serviceDefinitions.InductionWindowDays, format.Name, point,
                ExportKeys.ReleaseSeed(options.Key(), point.Id, point.EventStorePosition, point.CutAt),
                await ParametersAsync(store, point.Id, options, context.RequestAborted), options.RiskThreshold, clinicIds, clinics,
                releaseClinics);
        }

        ExportOutcome outcome;
        try
        {
            outcome = await archive.BuildAsync(plan with { Scope = scopeClinics }, context.RequestAborted);
        }
        catch (ReplicaBehindException behind)
        {
            context.Response.Headers[Cohorts.CohortReportsApi.ReplicaPositionHeader] = behind.Replayed.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: 409, title: $"The release's position: {behind.Message}",
                extensions: new Dictionary<string, object?> { ["replicaPosition"] = behind.Replayed });
        }
        reads.Clinics(clinics);
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
            await Record(store, caller, scopeClinics, outcome, delivered);
        }
        return Results.Empty;
    }

    /// Appended whether or not the caller took every byte: a partly sent export may still have disclosed rows. A
    /// reproduction is an archive byte-identical to one audited before; anything else (a changed filter, format,
    /// definitions) is a new export, whether it came from a manifest or not.
    private static async Task Record(IDocumentStore store, ClaimsPrincipal caller, IReadOnlyList<string> clinics, ExportOutcome outcome,
        bool delivered)
    {
        var m = outcome.Manifest;
        await using var session = store.LightweightSession();
        var earlier = await session.Events.QueryRawEventDataOnly<ExportRecorded>()
            .Where(e => e.ArchiveSha256 == outcome.ArchiveSha256).OrderBy(e => e.RecordedAt).FirstOrDefaultAsync(CancellationToken.None);
        session.Events.Append(ExportRecorded.AuditStream, new ExportRecorded(
            Guid.NewGuid(), DateTimeOffset.UtcNow, caller.FindFirstValue(AccessToken.SubjectClaim) ?? "",
            caller.FindAll(AccessToken.RoleClaim).Select(c => c.Value).Order(StringComparer.Ordinal).ToArray(),
            clinics.Order(StringComparer.Ordinal).ToArray(), m.Report?.Name, m.Filter, m.Definitions.Id, m.Definitions.Version,
            m.DefinitionsFingerprint, m.Release?.Id ?? 0, m.EventStorePosition, m.AsOf, m.Seed, m.Format, m.ClinicIdentifiers, m.Deidentification,
            m.Files, outcome.ArchiveSha256, outcome.ArchiveBytes, earlier is not null, earlier?.ExportId, delivered));
        await session.SaveChangesAsync(CancellationToken.None);
    }

    /// A release's anonymisation parameters: those of its first audited export, so that the release is one table even if
    /// Exports:K or Exports:GeneralisationOrder change later; the configured ones for a release not exported yet.
    private static async Task<ReleaseParameters> ParametersAsync(IDocumentStore store, int releaseId, ExportsOptions options,
        CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var first = await session.Events.QueryRawEventDataOnly<ExportRecorded>()
            .Where(e => e.ReleaseId == releaseId).OrderBy(e => e.RecordedAt).FirstOrDefaultAsync(cancellationToken);
        return first is null ? options.ReleaseParameters() : new ReleaseParameters(first.Deidentification.K, first.Deidentification.GeneralisationOrder);
    }

    private static ExportRelease Point(ReleaseSummary release) => new(release.Id, release.EventStorePosition, release.CutAt);

    private static IResult Bad(string field, string rule) => TypedResults.Problem(statusCode: 400, title: $"{field}: {rule}");
}
