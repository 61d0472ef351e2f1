using System.Text;
using Outcomes.Service.Security;

namespace Outcomes.Service.Dashboard;

/// The antiforgery field a page's forms carry (sign-in and sign-out are the only POSTs).
internal sealed record FormToken(string FieldName, string Value)
{
    public string Field => $"<input type=\"hidden\" name=\"{Markup.Text(FieldName)}\" value=\"{Markup.Text(Value)}\">";
}

/// How a person may sign in: at the clinic's identity provider (its display name), by pasting a token, or both.
internal sealed record SignInChoices(string? Provider, bool PasteToken);

/// Who is signed in, for the navigation bar: their subject and roles, the clinics they see.
internal sealed record Viewer(string Subject, string Roles, string Clinics);

/// The frame of every dashboard page: one stylesheet served by the service, no script, a navigation bar that the
/// print stylesheet drops.
internal static class Pages
{
    /// Where the pages live: the path the dashboard session is scoped to (Security/DashboardSessions).
    public const string Root = DashboardSessions.Root;
    public const string StylesheetPath = Root + "/dashboard.css";

    public static string Layout(string title, string body, Viewer? viewer, FormToken? token)
    {
        var page = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        page.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        page.Append($"<title>{Markup.Text(title)} \u00b7 Outcomes</title><link rel=\"stylesheet\" href=\"{StylesheetPath}\"></head><body>");
        page.Append($"<header class=\"site\"><nav><a class=\"brand\" href=\"{Root}\">Outcomes</a> <a href=\"{Root}\">Reports</a> <a href=\"{Root}#cohort\">Build a cohort</a> " +
                    $"<a href=\"{Root}/trends\">Trends</a> <a href=\"{Root}/compare\">Clinic vs network</a> " +
                    $"<a href=\"{Root}/safety\">Safety worklist</a> <a href=\"{Root}/patients\">Find a course</a>");
        if (viewer is not null && token is not null)
            page.Append($"<span class=\"viewer\">{Markup.Text(viewer.Subject)} ({Markup.Text(viewer.Roles)}; clinics: {Markup.Text(viewer.Clinics)})</span>" +
                        $"<form method=\"post\" action=\"{Root}/sign-out\" class=\"sign-out\">{token.Field}<button type=\"submit\">Sign out</button></form>");
        page.Append("</nav></header><main>").Append(body).Append("</main></body></html>");
        return page.ToString();
    }

    public static string SignIn(FormToken token, string? returnUrl, string? problem, SignInChoices choices)
    {
        var body = new StringBuilder("<h1>Sign in</h1>");
        if (problem is not null) body.Append($"<p class=\"problem\" role=\"alert\">{Markup.Text(problem)}</p>");
        if (choices.Provider is { } provider)
        {
            var query = returnUrl is null ? "" : "?returnUrl=" + Uri.EscapeDataString(returnUrl);
            body.Append($"<p><a class=\"sign-in-provider button\" href=\"{Root}/sign-in/provider{Markup.Text(query)}\">Sign in with " +
                        $"{Markup.Text(provider)}</a></p>");
        }
        if (choices.PasteToken)
        {
            body.Append("<p>Paste an access token (a JWT, as <code>outcomes token</code> issues it) with the quality, researcher or " +
                        "admin role. The session it opens ends when the token expires, after a while unused, or when you sign out.</p>");
            body.Append($"<form method=\"post\" action=\"{Root}/sign-in\" class=\"sign-in\">{token.Field}");
            if (returnUrl is not null) body.Append($"<input type=\"hidden\" name=\"returnUrl\" value=\"{Markup.Text(returnUrl)}\">");
            body.Append("<label for=\"token\">Access token</label><textarea id=\"token\" name=\"token\" rows=\"6\" required spellcheck=\"false\" " +
                        "autocomplete=\"off\"></textarea><button type=\"submit\">Sign in</button></form>");
        }
        return Layout("Sign in", body.ToString(), null, null);
    }

    /// Signed out here; the browser goes on to the identity provider to end the session there too.
    public static string SigningOut(string providerSignOut)
    {
        var target = Markup.Text(providerSignOut);
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">" +
               $"<meta http-equiv=\"refresh\" content=\"0;url={target}\"><title>Signing out \u00b7 Outcomes</title>" +
               $"<link rel=\"stylesheet\" href=\"{StylesheetPath}\"></head><body><main><h1>Signed out</h1>" +
               $"<p class=\"signing-out\">Signing you out at your identity provider too\u2026 <a href=\"{target}\">Continue</a></p></main></body></html>";
    }

    /// A refusal or a failure, as a page: the status and what to do about it.
    public static string Problem(int status, string title, string detail, Viewer? viewer, FormToken? token) =>
        Layout(title, $"<h1>{Markup.Text(title)}</h1><p class=\"problem\" data-status=\"{status}\">{Markup.Text(detail)}</p>" +
                      $"<p><a href=\"{Root}\">Back to the reports</a></p>", viewer, token);
}
