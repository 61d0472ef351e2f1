using Outcomes.Service.Security;

namespace Outcomes.Service.Hosting;

public static class OpenApiSetup
{
    public static IServiceCollection AddOutcomesOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddDocumentTransformer<BearerSecurityScheme>());

    /// The document is public in every environment: integrators read it before they hold a token.
    public static IEndpointRouteBuilder MapOutcomesOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi().AllowAnonymous();
        return app;
    }
}
