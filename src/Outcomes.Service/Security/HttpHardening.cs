using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Outcomes.Service.Security;

/// Where the service sits behind a TLS-terminating proxy, and what every answer tells browsers and caches.
public sealed class ProxyOptions
{
    public const string Section = "Proxy";

    /// Addresses of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto headers are believed. Empty:
    /// loopback only (ASP.NET Core's default), so a proxy on another host must be named here, or the dashboard's
    /// cookie goes out without Secure behind it.
    public string[] KnownProxies { get; set; } = [];

    /// Networks (CIDR, e.g. 10.0.0.0/8) whose proxies are believed, for proxies without a fixed address.
    public string[] KnownNetworks { get; set; } = [];
}

public static class HttpHardening
{
    public static IServiceCollection AddOutcomesHttpHardening(this IServiceCollection services, IConfiguration configuration)
    {
        var proxy = configuration.GetSection(ProxyOptions.Section).Get<ProxyOptions>() ?? new ProxyOptions();
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            // The scheme is what matters: behind a TLS proxy the request reaches us as http, and Request.IsHttps
            // decides the cookie's Secure flag.
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var address in proxy.KnownProxies)
                options.KnownProxies.Add(IPAddress.Parse(address));
            foreach (var network in proxy.KnownNetworks)
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        return services;
    }

    /// Forwarded headers first, so that everything after sees the client's scheme; then the API's response headers.
    public static IApplicationBuilder UseOutcomesHttpHardening(this IApplicationBuilder app)
    {
        app.UseForwardedHeaders();
        return app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                // API answers carry patient data: no shared or browser cache may keep them.
                if (context.Request.Path.StartsWithSegments("/api"))
                    headers.CacheControl = "no-store";
                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
