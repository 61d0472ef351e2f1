using System.Text.Json;
using Microsoft.Extensions.Options;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Disclosure;
using Outcomes.Service.Security;

namespace Outcomes.Service.Cohorts;

/// A cohort report over a definition the caller writes (the dashboard's "build a cohort", and its JSON twin),
/// validated as strictly as the named ones and published by the caller's tier like them.
public static class AdHocCohortApi
{
    public const string Route = "/api/v1/reports/cohort";

    public static IEndpointRouteBuilder MapAdHocCohortApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/reports").WithTags("Cohort reports").RequireAccess(AccessPolicies.QualityResearcherOrAdmin);
        group.MapPost("/cohort", Post)
            .WithSummary("A cohort report over a definition in the body, over the caller's clinics, published by the caller's disclosure tier")
            .WithDescription("The body is a report definition as in analytics/reports/*.json (name, version, title, filter, " +
                "groupBy, options); unknown properties are refused, and so is the removed options.suppressionThreshold (the tiers of " +
                "analytics/methods/disclosure-control.md replaced suppression). A filter.clinic or clinicId outside the caller's " +
                "clinics is refused with 403.")
            .Accepts<ReportDefinition>("application/json")
            .Produces<PublishedCohortReport>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    private static async Task<IResult> Post(HttpRequest request, long? asOfPosition, string? clinicId,
        string? coverage, ClinicScope scope,
        IOptions<DisclosureOptions> disclosure, CohortReportService reports, CancellationToken cancellationToken)
    {
        if (CohortReportsApi.Coverage(coverage) is not { } network)
            return TypedResults.Problem(statusCode: 400, title: $"coverage: must be 'own' or 'network', got '{coverage}'");
        ReportDefinition definition;
        try
        {
            using var reader = new StreamReader(request.Body);
            definition = ReportDefinition.FromJson(await reader.ReadToEndAsync(cancellationToken));
        }
        catch (JsonException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [e.Path ?? "$"] = [e.Message] },
                title: "The body is not a readable report definition");
        }

        var violations = definition.Validate();
        if (violations.Count > 0)
            return TypedResults.ValidationProblem(
                violations.GroupBy(v => v.Field).ToDictionary(g => g.Key, g => g.Select(v => v.Rule).ToArray()),
                title: "The report definition breaks a rule");
        var answer = await reports.Run(definition, scope, ReportAudience.Of(request.HttpContext.User, network, disclosure.Value), clinicId,
            asOfPosition, cancellationToken);
        return answer.Report is { } report ? TypedResults.Ok(report) : CohortReportsApi.Refused(answer);
    }
}
