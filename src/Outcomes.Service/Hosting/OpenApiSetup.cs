using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Security;

namespace Outcomes.Service.Hosting;

/// The OpenAPI document integrators read before they hold a token: a real title and description, every query and
/// route parameter described with an example (one table, by the parameter's name, which means the same on every
/// route), and the properties of the published reports described. Numbers are typed as numbers (ApiConventions).
public static class OpenApiSetup
{
    public const string Title = "Outcomes API";

    public static IServiceCollection AddOutcomesOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer<BearerSecurityScheme>();
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = Title,
                    Version = "v1",
                    Description = "Outcomes analytics for clinics that treat depression with ketamine and esketamine: de-identified facts " +
                        "(enrolments, sessions, PHQ-9s, course ends) in, cohort reports (response, remission, time to response, " +
                        "durability, trajectories, item 9) and research exports out. Every /api call needs a bearer token whose " +
                        "`clinics` claim limits what it sees; reports for a clinic's own quality lead are exact, network and " +
                        "researcher reports are in a protected (perturbed) tier. Errors are problem details naming the field and the rule.",
                    License = new OpenApiLicense { Name = "Open source; see the repository's licence" },
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, _, _) =>
            {
                foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>())
                    if (parameter.Name is { } name && Parameters.TryGetValue(name, out var doc))
                    {
                        parameter.Description ??= doc.Description;
                        parameter.Example ??= doc.Example.DeepClone();
                    }
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer(async (schema, context, cancellationToken) =>
            {
                // A report's rates are written by RateSetJsonConverter, one property per rate of the table of measures;
                // the generator cannot see through a converter, so the table describes them here.
                if (context.JsonTypeInfo.Type != typeof(PublishedResponse)) return;
                var rate = await context.GetOrCreateSchemaAsync(typeof(PublishedRate), null, cancellationToken);
                schema.Type = JsonSchemaType.Object;
                schema.Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                {
                    ["inductionWindowDays"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Integer, Description = Properties["PublishedResponse.inductionWindowDays"],
                    },
                };
                foreach (var measure in Measures.Rates)
                    schema.Properties[JsonNamingPolicy.CamelCase.ConvertName(measure.Key)] = rate;
                schema.Required = new HashSet<string>(schema.Properties.Keys, StringComparer.Ordinal);
                schema.Description = "One rate per measure: " + string.Join("; ", Measures.Rates.Select(m =>
                    $"{JsonNamingPolicy.CamelCase.ConvertName(m.Key)}: {m.Numerator}, among {m.Denominator}")) + ".";
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonPropertyInfo is { } property &&
                    Properties.TryGetValue($"{property.DeclaringType.Name}.{property.Name}", out var description))
                    schema.Description ??= description;
                return Task.CompletedTask;
            });
        });

    /// The document is public in every environment: integrators read it before they hold a token.
    public static IEndpointRouteBuilder MapOutcomesOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi().AllowAnonymous();
        return app;
    }

    /// Parameters by name: what each means wherever it appears, with an example value of its type.
    internal static readonly IReadOnlyDictionary<string, (string Description, JsonNode Example)> Parameters =
        new Dictionary<string, (string, JsonNode)>
        {
            ["name"] = ("A named report: its definition's name (GET /api/v1/reports lists them).", "overview"),
            ["asOfPosition"] = ("The event-store position to answer as of: a report's provenance.eventStorePosition. Own clinics: any " +
                "position up to the latest (the same position always gives the same report); protected tier: a release point " +
                "(GET /api/v1/releases). Default: the latest.", 4242L),
            ["clinicId"] = ($"A clinic id among the caller's clinics ({Contracts.ContractLimits.Ecma(Contracts.ContractLimits.ClinicIdPattern)}), to narrow the answer to that clinic.", "clinic-a"),
            ["coverage"] = ("`own` (default): the caller's clinics, exact for a clinic's quality lead; `network`: every clinic, " +
                "in the protected tier.", "own"),
            ["patientKey"] = ($"The clinic's pseudonymous key of the patient, as its integration sends it ({Contracts.ContractLimits.PatientKeyMinLength}-{Contracts.ContractLimits.PatientKeyMaxLength} letters, digits, - or _).", "pk7f3a9c21x"),
            ["course"] = ($"The patient's treatment course at this clinic, {Contracts.ContractLimits.FirstCourse}-{Contracts.ContractLimits.MaxCourse} (default {Contracts.ContractLimits.FirstCourse}).", 1),
            ["subject"] = ("Only the records of this caller: a token's `sub` (a person or an integration engine).", "ann"),
            ["since"] = ("Only those received at or after this time (ISO 8601 with offset).", "2026-03-01T00:00:00Z"),
            ["limit"] = ("At most this many, newest first (default 100).", 100),
            ["status"] = ("Signals in this state: open, acknowledged or resolved (default: open and acknowledged).", "open"),
            ["id"] = ("The signal's id, as the worklist lists it.", "3f2b7c1e-8a4d-4e6f-9b0a-1c2d3e4f5a6b"),
            ["uploadId"] = ("One id for every part of one file's upload, chosen by the uploader (outcomes load makes one).", "feed-2026-03-01"),
            ["firstLine"] = ("The file's line number of the first line in this part (1 for the first part).", "100001"),
            ["subject"] = ("Only records of this caller: the token's subject (`sub`).", "ann.quality@clinic-a"),
        };

    /// Properties of the published report and its parts, by declaring type and JSON name.
    internal static readonly IReadOnlyDictionary<string, string> Properties = new Dictionary<string, string>
    {
        ["Cell.value"] = "The count, or null when it is withheld (then `suppressed` says why). Zero is always shown.",
        ["Cell.suppressed"] = "Why the count is withheld (below-threshold, complementary, small-group, derived-from-suppressed, few-at-risk, " +
            "few-events, protected), or null when it is shown.",
        ["ReportProvenance.definitionsId"] = "The outcome definitions the report was computed under.",
        ["ReportProvenance.definitionsVersion"] = "Their version: a changed threshold is a new version.",
        ["ReportProvenance.eventStorePosition"] = "The event-store position the report stands at: pass it as asOfPosition to get the same report again.",
        ["ReportProvenance.asOf"] = "The store's time at that position: whether an induction window has elapsed is judged at it.",
        ["PublishedGroup.group"] = "The group's label (e.g. a modality), or null for the whole cohort.",
        ["PublishedGroup.withheld"] = "Why the whole group is withheld, or null when it is shown.",
        ["PublishedRate.estimate"] = "events / n, or null when either count is withheld or n is 0.",
        ["PublishedRate.lower"] = "Lower limit of the Wilson 95% interval.",
        ["PublishedRate.upper"] = "Upper limit of the Wilson 95% interval.",
        ["PublishedResponse.inductionWindowDays"] = "\"By the end of induction\" means on or before this day after the first session.",
        ["PublishedSurvival.shownUntil"] = "The curve is published up to this time; beyond it curveEnd says why not.",
        ["PublishedWeek.week"] = "Weeks since the first session; week 0 is the baseline.",
        ["PublishedWeek.mean"] = "Mean PHQ-9 total of the week (each course's last in the week), or null when withheld.",
        ["PublishedSlope.perWeek"] = "The mixed model's average change in PHQ-9 points per week (negative: improving).",
    };
}
