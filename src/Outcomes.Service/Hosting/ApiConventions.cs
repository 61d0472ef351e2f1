using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Outcomes.Service.Hosting;

/// How the HTTP API answers what it cannot read. A query parameter that is not of its type ("asOfPosition=abc") or a
/// body that is not the JSON asked for is a 400 problem naming the parameter and the rule, in every environment:
/// without this, Development answered with its exception page (a stack trace) and Production with an empty 400.
/// Numbers are JSON numbers both ways (never strings), which is also how the OpenAPI document types them.
public static partial class ApiConventions
{
    public static IServiceCollection AddOutcomesApiConventions(this IServiceCollection services)
    {
        // Thrown in every environment, so that one place below answers it the same way everywhere.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        return services;
    }

    public static IApplicationBuilder UseOutcomesApiConventions(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await TypedResults.Problem(statusCode: e.StatusCode, title: Rule(e.Message)).ExecuteAsync(context);
            }
        });

    /// "Failed to bind parameter "long? asOfPosition" from "abc"." as "asOfPosition: must be a whole number, got 'abc'".
    internal static string Rule(string message)
    {
        if (BindFailure().Match(message) is not { Success: true } m) return message;
        var type = m.Groups["type"].Value.TrimEnd('?');
        var kind = type switch
        {
            "long" or "int" or "short" or "Int64" or "Int32" => "a whole number",
            "double" or "decimal" or "float" => "a number",
            "bool" or "Boolean" => "true or false",
            "Guid" => "a UUID",
            "DateTimeOffset" or "DateTime" => "a date and time (ISO 8601, e.g. 2026-03-01T00:00:00Z)",
            _ => $"a {type}",
        };
        var value = m.Groups["value"].Value;
        return $"{m.Groups["name"].Value}: must be {kind}, got '{(value.Length > 40 ? value[..40] + "..." : value)}'";
    }

    [GeneratedRegex("^Failed to bind parameter \"(?<type>[^ \"]+) (?<name>[^\"]+)\" from \"(?<value>.*)\"\\.$", RegexOptions.Singleline)]
    private static partial Regex BindFailure();
}
