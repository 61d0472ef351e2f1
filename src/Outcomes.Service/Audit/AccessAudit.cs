using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Outcomes.Domain.Courses;

namespace Outcomes.Service.Audit;

/// Marks an endpoint that reads course-level data. Its filter writes one audit record for each successful answer.
public sealed record CourseAccessAudited(string What);

/// The request's reads, as the endpoint declares them when the route does not name the course (exports, worklists).
/// Scoped: one per request. The endpoint filter writes them after the handler has answered successfully.
public sealed class CourseReads
{
    private readonly List<(IReadOnlyList<string> Clinics, string? CourseKey)> _reads = [];

    internal IReadOnlyList<(IReadOnlyList<string> Clinics, string? CourseKey)> Declared => _reads;

    /// One course read (a timeline, a worklist's row shown in full).
    public void Course(CourseKey key) => _reads.Add(([key.ClinicId], key.ToString()));

    /// Data of many courses of these clinics, recorded once with the set (an export), not per course.
    public void Clinics(IEnumerable<string> clinics) => _reads.Add((clinics.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(), null));
}

public static class AuditConventions
{
    /// Name of the OpenAPI operation extension that carries the marker, so the document says which routes are audited.
    public const string OpenApiExtension = "x-audits-course-access";

    /// Every successful answer of this endpoint leaves one access-audit record (`what` names what was read). The course
    /// comes from the route (`{clinicId}`, `{patientKey}`, `?course=`) unless the handler declares its reads through
    /// <see cref="CourseReads"/>. A failed answer (4xx, 5xx) read nothing and records nothing.
    public static TBuilder AuditsCourseAccess<TBuilder>(this TBuilder builder, string what) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new CourseAccessAudited(what));
        builder.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            var http = context.HttpContext;
            if (Succeeded(result, http))
                await http.RequestServices.GetRequiredService<AccessAudit>().RecordAsync(http, what, http.RequestAborted);
            return result;
        });
        return builder;
    }

    /// A result that states no status (an endpoint that wrote its own answer, as an export does) counts as success:
    /// an audit that records a read too many is safer than one that misses one.
    private static bool Succeeded(object? result, HttpContext http) => result switch
    {
        IStatusCodeHttpResult { StatusCode: { } status } => status is >= 200 and < 300,
        IStatusCodeHttpResult => true,
        IResult => http.Response.StatusCode is >= 200 and < 300,
        _ => true,
    };
}

/// Writes the request's record(s) to the log: the declared reads, or else the course the route names.
public sealed class AccessAudit(AccessAuditLog log, CourseReads reads, TimeProvider clock)
{
    public async Task RecordAsync(HttpContext http, string what, CancellationToken cancellationToken)
    {
        var caller = http.User;
        var declared = reads.Declared;
        if (declared.Count == 0)
            declared = [FromRoute(http) ?? throw new InvalidOperationException(
                $"{http.Request.Path} is audited as '{what}' but its route names no course and the endpoint declared no reads (CourseReads)")];
        var at = clock.GetUtcNow();
        var records = declared.Select(d => new CourseAccess(0, at, CourseAccess.SubjectOf(caller), CourseAccess.ClientOf(caller),
            CourseAccess.RolesOf(caller), d.Clinics, d.CourseKey, what, CourseAccess.AddressOf(http.Connection.RemoteIpAddress))).ToList();
        // Not the request's token: the read has happened, so its record must be written even if the caller went away.
        await log.AppendAsync(records, CancellationToken.None);
    }

    private static (IReadOnlyList<string>, string?)? FromRoute(HttpContext http)
    {
        var route = http.Request.RouteValues;
        if (route["clinicId"] is not string clinic || route["patientKey"] is not string patient) return null;
        var course = int.TryParse(http.Request.Query["course"], out var n) ? n : CourseKey.FirstCourse;
        return ([clinic], new CourseKey(clinic, patient, course).ToString());
    }
}

/// Puts the marker into the OpenAPI document, where a test (and an integrator) finds every audited route.
internal sealed class AuditedOperations : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<CourseAccessAudited>().FirstOrDefault() is { } audited)
        {
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[AuditConventions.OpenApiExtension] = new JsonNodeExtension(System.Text.Json.Nodes.JsonValue.Create(audited.What));
            operation.Description = (operation.Description is { Length: > 0 } d ? d + " " : "") +
                "Every successful answer is recorded in the access audit (who, clinic, course, when, from where).";
        }
        return Task.CompletedTask;
    }
}
