using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Outcomes.Contracts;
using Outcomes.Domain.Cohorts;
using Outcomes.Service.Cohorts;
using Outcomes.Service.Disclosure;
using Outcomes.Service.Security;

namespace Outcomes.Service.Dashboard;

/// The HTML dashboard for people: the same reports, roles and clinic scope as the JSON API. Browsers cannot send a
/// bearer header when navigating, so the token a person pastes at sign-in travels in a cookie that only the
/// dashboard's routes read; the API never accepts it, so no other site can make a browser call the API with it.
public static class DashboardEndpoints
{
    public const string CookieName = "outcomes-dashboard-token";

    public static bool IsDashboard(PathString path) => path.StartsWithSegments(Pages.Root, StringComparison.Ordinal);

    public static IServiceCollection AddOutcomesDashboard(this IServiceCollection services)
    {
        services.AddAntiforgery();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, DashboardAuthorizationResults>();
        services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, jwt =>
        {
            jwt.Events ??= new JwtBearerEvents();
            var received = jwt.Events.OnMessageReceived;
            jwt.Events.OnMessageReceived = async context =>
            {
                await received(context);
                var request = context.Request;
                if (context.Token is null && IsDashboard(request.Path) && StringValues.IsNullOrEmpty(request.Headers.Authorization) &&
                    request.Cookies.TryGetValue(CookieName, out var token) && token.Length > 0)
                    context.Token = token;
            };
        });
        return services;
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        var open = app.MapGroup(Pages.Root).AllowAnonymous().ExcludeFromDescription();
        open.MapGet("/dashboard.css", Stylesheet);
        open.MapGet("/sign-in", SignInForm);
        open.MapPost("/sign-in", SignIn);
        open.MapPost("/sign-out", SignOut);

        var pages = app.MapGroup(Pages.Root).RequireAuthorization(AccessPolicies.QualityResearcherOrAdmin).ExcludeFromDescription();
        pages.MapGet("/", Catalog);
        pages.MapGet("/reports/{name}", NamedReport);
        pages.MapGet("/cohort", Cohort);
        return app;
    }

    private static IResult Catalog(HttpContext http, ClinicScope scope, ReportCatalog catalog) =>
        Page(http, 200, "Cohort reports", CatalogPage.Body(catalog.Names.Select(n => catalog.Find(n)!),
            scope.AllClinics ? null : scope.Clinics));

    private static async Task<IResult> NamedReport(string name, long? asOfPosition, string? clinicId, HttpContext http, ClinicScope scope,
        ReportCatalog catalog, CohortReportService reports, CancellationToken cancellationToken)
    {
        if (catalog.Find(name) is not { } definition)
            return Problem(http, 404, "No such report", $"There is no report named '{name}'.");
        return await Show(http, definition, asOfPosition, clinicId, scope, reports, cancellationToken);
    }

    private static async Task<IResult> Cohort(long? asOfPosition, string? clinicId, HttpContext http, ClinicScope scope,
        IOptions<ReportsOptions> options, CohortReportService reports, CancellationToken cancellationToken)
    {
        var query = http.Request.Query.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
        var (definition, queryViolations) = CohortQuery.Parse(query);
        var violations = queryViolations.Concat(AdHocCohortApi.Violations(definition, options.Value.MinimumAdHocThreshold)).ToList();
        if (violations.Count > 0)
            return Problem(http, 400, "The cohort cannot be built",
                string.Join("; ", violations.Select(v => $"{v.Field}: {v.Rule}")));
        if (AdHocCohortApi.ClinicOutsideScope(definition, scope) is { } outside)
            return OutOfScope(http, outside);
        return await Show(http, definition, asOfPosition, clinicId, scope, reports, cancellationToken);
    }

    private static async Task<IResult> Show(HttpContext http, ReportDefinition definition, long? asOfPosition, string? clinicId,
        ClinicScope scope, CohortReportService reports, CancellationToken cancellationToken)
    {
        if (clinicId is not null && !scope.Includes(clinicId))
            return OutOfScope(http, clinicId);
        var audience = ReportAudience.Of(http.User, network: false,
            http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<DisclosureOptions>>().Value);
        var answer = await reports.Run(definition, scope, audience, clinicId, asOfPosition, cancellationToken);
        if (answer.Report is not { } report)
            return Problem(http, answer.Status, "The report cannot be computed", answer.Problem ?? "");
        var scopeText = clinicId ?? (scope.AllClinics ? "every clinic" : string.Join(", ", scope.Clinics.Order(StringComparer.Ordinal)));
        return Page(http, 200, definition.Title, ReportPage.Body(report, scopeText) + Downloads(http, definition) +
            InsightEndpoints.Definitions(http.RequestServices.GetRequiredService<Outcomes.Domain.Outcomes.OutcomeDefinitions>()));
    }

    /// Links to this report as CSV and JSON (named reports; a built cohort is its own JSON through the API).
    private static string Downloads(HttpContext http, ReportDefinition definition)
    {
        if (!http.Request.Path.StartsWithSegments(Pages.Root + "/reports", StringComparison.Ordinal)) return "";
        var query = http.Request.QueryString.HasValue ? "&" + http.Request.QueryString.Value![1..] : "";
        var href = $"{Pages.Root}/reports/{Uri.EscapeDataString(definition.Name)}/download?format=";
        return $"<p class=\"downloads\">Download this report: <a href=\"{href}csv{Markup.Text(query)}\" download>CSV</a> " +
               $"<a href=\"{href}json{Markup.Text(query)}\" download>JSON</a></p>";
    }

    private static IResult OutOfScope(HttpContext http, string clinicId) =>
        Problem(http, 403, "Not among your clinics", $"Clinic '{clinicId}' is not among the clinics your token names.");

    private static IResult SignInForm(HttpContext http, string? returnUrl, IAntiforgery antiforgery)
    {
        // A cookie that did not authenticate this request is one the service no longer accepts.
        var problem = http.Request.Cookies.ContainsKey(CookieName) && http.User.Identity?.IsAuthenticated != true
            ? "Your sign-in has expired or is no longer accepted: paste a new token."
            : null;
        return new HtmlPage(200, Pages.SignIn(FormTokenOf(http, antiforgery), SafeReturn(returnUrl), problem));
    }

    private static async Task<IResult> SignIn([Microsoft.AspNetCore.Mvc.FromForm] string token, [Microsoft.AspNetCore.Mvc.FromForm] string? returnUrl,
        HttpContext http, IAntiforgery antiforgery, IOptionsMonitor<JwtBearerOptions> jwt, IAuthorizationService authorization)
    {
        token = token.Trim();
        var parameters = jwt.Get(JwtBearerDefaults.AuthenticationScheme).TokenValidationParameters;
        var result = await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
            return new HtmlPage(400, Pages.SignIn(FormTokenOf(http, antiforgery), SafeReturn(returnUrl), "The token was refused: " + Refusal(result.Exception)));

        var caller = new ClaimsPrincipal(result.ClaimsIdentity);
        if (!(await authorization.AuthorizeAsync(caller, AccessPolicies.QualityResearcherOrAdmin)).Succeeded)
            return new HtmlPage(403, Pages.Problem(403, "This token may not read reports",
                $"Reports need the quality, researcher or admin role; this token has: {RolesOf(caller)}.", null, null));

        http.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = Pages.Root,
            Expires = result.SecurityToken.ValidTo == DateTime.MinValue ? null : new DateTimeOffset(result.SecurityToken.ValidTo, TimeSpan.Zero),
            IsEssential = true,
        });
        return Results.Redirect(SafeReturn(returnUrl) ?? Pages.Root, permanent: false, preserveMethod: false);
    }

    private static IResult SignOut(IFormCollection form, HttpContext http)
    {
        http.Response.Cookies.Delete(CookieName, new CookieOptions { Path = Pages.Root, Secure = http.Request.IsHttps, SameSite = SameSiteMode.Strict, HttpOnly = true });
        return Results.Redirect(Pages.Root + "/sign-in");
    }

    private static IResult Stylesheet(HttpContext http)
    {
        http.Response.Headers.CacheControl = "public, max-age=3600";
        return TypedResults.Stream(typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("Outcomes.Service.Dashboard.dashboard.css")!, "text/css; charset=utf-8");
    }

    /// Only a dashboard path of this service: a return address is never another site's (no open redirect).
    internal static string? SafeReturn(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url.StartsWith(Pages.Root, StringComparison.Ordinal) && !url.Contains('\\') &&
        (url.Length == Pages.Root.Length || url[Pages.Root.Length] is '/' or '?' or '#') && !url.StartsWith(Pages.Root + "/sign-", StringComparison.Ordinal)
            ? url
            : null;

    private static string Refusal(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "it has expired",
        SecurityTokenNotYetValidException => "it is not valid yet",
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "its signature does not match this service's key",
        SecurityTokenInvalidIssuerException or SecurityTokenInvalidAudienceException => "it was issued for another service",
        _ => "it is not an access token this service accepts",
    };

    private static string RolesOf(ClaimsPrincipal caller) =>
        caller.FindAll(AccessToken.RoleClaim).Select(c => c.Value).DefaultIfEmpty("no role").Aggregate((a, b) => a + ", " + b);

    internal static FormToken FormTokenOf(HttpContext http, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return new FormToken(tokens.FormFieldName, tokens.RequestToken ?? "");
    }

    internal static Viewer? ViewerOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true
            ? new Viewer(user.FindFirst(AccessToken.SubjectClaim)?.Value ?? "unnamed", RolesOf(user),
                string.Join(", ", user.FindAll(AccessToken.ClinicsClaim).Select(c => c.Value)))
            : null;

    internal static IResult Page(HttpContext http, int status, string title, string body) =>
        new HtmlPage(status, Pages.Layout(title, body, ViewerOf(http.User), FormTokenOf(http, http.RequestServices.GetRequiredService<IAntiforgery>())));

    internal static IResult Problem(HttpContext http, int status, string title, string detail) =>
        new HtmlPage(status, Pages.Problem(status, title, detail, ViewerOf(http.User), FormTokenOf(http, http.RequestServices.GetRequiredService<IAntiforgery>())));
}

/// An HTML page with the headers a page of health data needs: not cached, not framed, no script, nothing from elsewhere.
internal sealed class HtmlPage(int status, string html) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentSecurityPolicy =
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        return response.WriteAsync(html);
    }
}

/// For dashboard pages only: a caller without a valid token is sent to sign in, one without a reader's role gets a
/// page saying so; every other route keeps the API's 401 and 403.
internal sealed class DashboardAuthorizationResults : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!DashboardEndpoints.IsDashboard(context.Request.Path) || authorizeResult.Succeeded)
            return _default.HandleAsync(next, context, policy, authorizeResult);
        if (authorizeResult.Challenged)
        {
            var back = context.Request.Path + context.Request.QueryString;
            context.Response.Redirect($"{Pages.Root}/sign-in?returnUrl={Uri.EscapeDataString(back)}");
            return Task.CompletedTask;
        }
        return DashboardEndpoints.Problem(context, 403, "Not allowed",
            "Reports need the quality, researcher or admin role. Sign out and sign in with a token that has one.").ExecuteAsync(context);
    }
}
