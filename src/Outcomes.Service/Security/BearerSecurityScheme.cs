using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Outcomes.Service.Security;

/// Declares the bearer token in the OpenAPI document, and that every documented operation needs it
/// (the anonymous health endpoints and the document itself are not among the operations).
internal sealed class BearerSecurityScheme : IOpenApiDocumentTransformer
{
    public const string Name = "Bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Name] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "An access token of the clinic's identity provider (client-credentials grant for integration engines; " +
                "roles and clinics from its groups, docs/security.md), or, in development, an HS256 JWT with claims sub, role " +
                "(integration, quality, researcher, admin) and clinics: `outcomes token --sub NAME --role ROLE --clinics CLINIC[,CLINIC]`.",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Name, document)] = [] });
        return Task.CompletedTask;
    }
}
