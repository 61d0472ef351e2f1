using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Outcomes.Contracts;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Cohorts;
using Outcomes.Service.CourseOutcomes;
using Outcomes.Service.Disclosure;
using Outcomes.Service.Security;

namespace Outcomes.Service.Dashboard;

/// The HTML dashboard for people: the same reports, roles and clinic scope as the JSON API. Browsers cannot send a
/// bearer header when navigating, so the token a person pastes at sign-in travels in a cookie that only the
/// dashboard's routes read; the API never accepts it, so no other site can make a browser call the API with it.
public static class DashboardEndpoints
{
    /// The session cookie (Security/DashboardSessions owns it with the path it is scoped to).
    public const string CookieName = DashboardSessions.CookieName;

    public static IServiceCollection AddOutcomesDashboard(this IServiceCollection services)
    {
        services.AddAntiforgery();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, DashboardAuthorizationResults>();
        return services;
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        var open = app.MapGroup(Pages.Root).AllowAnonymous().ExcludeFromDescription();
        open.MapGet("/dashboard.css", Stylesheet);
        open.MapGet("/sign-in", SignInForm);
        open.MapPost("/sign-in", SignIn);
        open.MapGet("/sign-in/provider", SignInAtProvider);
        open.MapPost("/sign-out", SignOut);

        var pages = app.MapGroup(Pages.Root).RequireAuthorization(AccessPolicies.QualityResearcherOrAdmin).ExcludeFromDescription();
        pages.MapGet("/", Catalog);
        pages.MapGet("/reports/{name}", NamedReport);
        pages.MapGet("/cohort", Cohort);
        return app;
    }

    private static async Task<IResult> Catalog(HttpContext http, ClinicScope scope, ReportCatalog catalog, CancellationToken cancellationToken) =>
        Page(http, 200, "Cohort reports", CatalogPage.Body(catalog.Names.Select(n => catalog.Find(n)!),
            await ClinicsToChoose(http, scope, cancellationToken), http.Request.Query.Count > 0 ? QueryOf(http) : null));

    private static async Task<IResult> NamedReport(string name, long? asOfPosition, string? clinicId, HttpContext http, ClinicScope scope,
        ReportCatalog catalog, CohortReportService reports, CancellationToken cancellationToken)
    {
        if (catalog.Find(name) is not { } definition)
            return Problem(http, 404, "No such report", $"There is no report named '{name}'.");
        return await Show(http, definition, asOfPosition, clinicId, scope, reports, null, cancellationToken);
    }

    private static async Task<IResult> Cohort(long? asOfPosition, string? clinicId, HttpContext http, ClinicScope scope,
        CohortReportService reports, CancellationToken cancellationToken)
    {
        var query = QueryOf(http);
        var (definition, queryViolations) = CohortQuery.Parse(query);
        var violations = queryViolations.Concat(definition.Validate()).ToList();
        if (violations.Count > 0)
            return Page(http, 400, "The cohort cannot be built", CatalogPage.Refused(await ClinicsToChoose(http, scope, cancellationToken), query,
                violations.Select(v => (v.Field, v.Rule)).ToList()));
        return await Show(http, definition, asOfPosition, clinicId, scope, reports, CatalogPage.EditLink(http.Request.QueryString), cancellationToken);
    }

    private static Dictionary<string, StringValues> QueryOf(HttpContext http) =>
        http.Request.Query.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);

    /// The clinics a viewer picks among: their own, or for a viewer of every clinic those with courses in the outcome
    /// read model (one index-only scan of its clinic index).
    private static async Task<IReadOnlyCollection<string>> ClinicsToChoose(HttpContext http, ClinicScope scope, CancellationToken cancellationToken)
    {
        if (!scope.AllClinics) return scope.Clinics;
        var table = http.RequestServices.GetRequiredService<OutcomeReadModel>().Table;
        await using var command = http.RequestServices.GetRequiredService<Npgsql.NpgsqlDataSource>()
            .CreateCommand($"select distinct clinic_id from {table.QualifiedName}");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var clinics = new List<string>();
        while (await reader.ReadAsync(cancellationToken)) clinics.Add(reader.GetString(0));
        return clinics;
    }

    private static async Task<IResult> Show(HttpContext http, ReportDefinition definition, long? asOfPosition, string? clinicId,
        ClinicScope scope, CohortReportService reports, string? editLink, CancellationToken cancellationToken)
    {
        var audience = ReportAudience.Of(http.User, network: false,
            http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<DisclosureOptions>>().Value);
        var answer = await reports.Run(definition, scope, audience, clinicId, asOfPosition, cancellationToken);
        if (answer.Report is not { } report)
            return Refused(http, answer, "The report cannot be computed");
        var definitions = http.RequestServices.GetRequiredService<OutcomeDefinitions>();
        var body = ReportPage.Body(report, ReportPage.ScopeText(definition.Filter, clinicId, scope), definitions) + Downloads(http, definition) +
            InsightEndpoints.Definitions(definitions);
        return Page(http, 200, definition.Title, editLink is null ? body : editLink + body);
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

    /// A refused report as a dashboard page: a clinic out of scope as every page says it, the rest as a problem page.
    internal static IResult Refused(HttpContext http, ReportAnswer answer, string title) => answer.OutOfScopeClinic is { } clinic
        ? OutOfScope(http, clinic)
        : Problem(http, CohortReportsApi.StatusOf(answer.Refusal!.Value), title, answer.Problem ?? "");

    internal static IResult OutOfScope(HttpContext http, string clinicId) =>
        Problem(http, 403, "Not among your clinics", $"Clinic '{clinicId}' is not among the clinics your token names.");

    private static IResult SignInForm(HttpContext http, string? returnUrl, string? failed, string? ended, IAntiforgery antiforgery,
        IOptions<AuthOptions> auth)
    {
        // A cookie that did not authenticate this request is a session that ended (idle, expired, or refused at renewal).
        var problem = failed is not null ? "The sign-in at your identity provider did not succeed: " + failed
            : ended is not null || (http.Request.Cookies.ContainsKey(CookieName) && http.User.Identity?.IsAuthenticated != true)
                ? "Your session has ended or is no longer accepted: sign in again."
                : null;
        return new HtmlPage(200, Pages.SignIn(FormTokenOf(http, antiforgery), SafeReturn(returnUrl), problem, SignInChoices(auth.Value)));
    }

    private static SignInChoices SignInChoices(AuthOptions auth) =>
        new(auth.HasProvider && auth.Provider.HasDashboardClient ? auth.Provider.DisplayName : null, auth.HasSigningKey);

    /// The authorization code flow with PKCE at the clinic's provider; it comes back to the return address.
    private static IResult SignInAtProvider(string? returnUrl, IOptions<AuthOptions> auth)
    {
        if (SignInChoices(auth.Value).Provider is null)
            return Results.Redirect(Pages.Root + "/sign-in");
        return Results.Challenge(new AuthenticationProperties { RedirectUri = SafeReturn(returnUrl) ?? Pages.Root }, [AuthSchemes.DashboardProvider]);
    }

    private static async Task<IResult> SignIn([Microsoft.AspNetCore.Mvc.FromForm] string token, [Microsoft.AspNetCore.Mvc.FromForm] string? returnUrl,
        HttpContext http, IAntiforgery antiforgery, IOptionsMonitor<JwtBearerOptions> jwt, IAuthorizationService authorization,
        IOptions<AuthOptions> auth)
    {
        var choices = SignInChoices(auth.Value);
        if (!choices.PasteToken)
            return new HtmlPage(400, Pages.SignIn(FormTokenOf(http, antiforgery), SafeReturn(returnUrl),
                "This service takes no pasted tokens: sign in with your identity provider.", choices));
        token = token.Trim();
        var parameters = jwt.Get(AuthSchemes.SharedKey).TokenValidationParameters;
        var result = await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
            return new HtmlPage(400, Pages.SignIn(FormTokenOf(http, antiforgery), SafeReturn(returnUrl), "The token was refused: " + Refusal(result.Exception), choices));

        var caller = new ClaimsPrincipal(result.ClaimsIdentity);
        if (!(await authorization.AuthorizeAsync(caller, AccessPolicies.QualityResearcherOrAdmin)).Succeeded)
            return new HtmlPage(403, Pages.Problem(403, "This token may not read reports",
                $"Reports need the quality, researcher or admin role; this token has: {RolesOf(caller)}.", null, null));

        // The session ends with the token, or earlier when idle; the token itself stays with the person who pasted it.
        var properties = new AuthenticationProperties { RedirectUri = SafeReturn(returnUrl) ?? Pages.Root };
        if (result.SecurityToken.ValidTo != DateTime.MinValue)
            properties.Items[DashboardSessions.TokenExpiresItem] =
                new DateTimeOffset(result.SecurityToken.ValidTo, TimeSpan.Zero).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        properties.Items[DashboardSessions.SourceItem] = DashboardSessions.FromToken;
        await http.SignInAsync(AuthSchemes.DashboardSession, caller, properties);
        return Results.Redirect(properties.RedirectUri, permanent: false, preserveMethod: false);
    }

    /// Ends the session here and, for a provider sign-in, at the provider too (RP-initiated logout), which then sends the
    /// browser back to the sign-in page.
    private static async Task<IResult> SignOut(IFormCollection form, HttpContext http)
    {
        var session = await http.AuthenticateAsync(AuthSchemes.DashboardSession);
        var atProvider = session.Properties?.Items.TryGetValue(DashboardSessions.SourceItem, out var source) == true &&
            source == DashboardSessions.FromProvider;
        // The provider's sign-out reads the id token from the session, so it goes first.
        if (atProvider)
            await http.SignOutAsync(AuthSchemes.DashboardProvider, new AuthenticationProperties { RedirectUri = Pages.Root + "/sign-in" });
        await http.SignOutAsync(AuthSchemes.DashboardSession);
        return http.Items[DashboardSessions.ProviderSignOutItem] is string providerSignOut
            ? new HtmlPage(200, Pages.SigningOut(providerSignOut))
            : Results.Redirect(Pages.Root + "/sign-in");
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
internal sealed class HtmlPage(int status, string html) : IResult, IStatusCodeHttpResult
{
    /// Read by the access audit's filter: a refused page read nothing.
    public int? StatusCode => status;

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
        if (!DashboardSessions.IsDashboard(context.Request.Path) || authorizeResult.Succeeded)
            return _default.HandleAsync(next, context, policy, authorizeResult);
        if (authorizeResult.Challenged)
        {
            var back = context.Request.Path + context.Request.QueryString;
            var ended = context.Items.ContainsKey(DashboardSessions.SessionEndedItem) ? "&ended=1" : "";
            context.Response.Redirect($"{Pages.Root}/sign-in?returnUrl={Uri.EscapeDataString(back)}{ended}");
            return Task.CompletedTask;
        }
        return DashboardEndpoints.Problem(context, 403, "Not allowed",
            "Reports need the quality, researcher or admin role. Sign out and sign in with a token that has one.").ExecuteAsync(context);
    }
}
