using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Outcomes.Cli;

/// <summary>
/// A refused request as one line a person can act on: the status, the service's own reason when it gave one
/// (its problem details), and for 401 and 403 what the token says about its holder (roles, clinics, expiry), read
/// from the token itself since the service's 403 has no body.
/// </summary>
public static class ServiceRefusal
{
    private const int MaxBody = 300;

    /// <param name="needs">What the request needs, in words: "an export needs the researcher or admin role".</param>
    public static string Describe(HttpStatusCode status, string body, string token, string needs)
    {
        var code = $"{(int)status} {status}";
        var reason = ProblemText(body);
        var holder = TokenText(token);
        return status switch
        {
            HttpStatusCode.Unauthorized =>
                $"error: {code}: the service did not accept the token ({holder}): it has expired, or was signed with another key or for another " +
                "service; make a new one with `outcomes token`",
            HttpStatusCode.Forbidden => reason is not null
                ? $"error: {code}: {reason} (token: {holder})"
                : $"error: {code}: {needs}; the token has {holder}",
            _ => $"error: {code}" + (reason ?? Shortened(body)) switch { { Length: > 0 } text => ": " + text, _ => "" },
        };
    }

    /// The title and detail of a problem-details body, or null when the body is not one.
    internal static string? ProblemText(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind != JsonValueKind.Object) return null;
            var parts = new List<string>();
            foreach (var name in new[] { "title", "detail" })
                if (json.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
                    parts.Add(text);
            if (json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                foreach (var field in errors.EnumerateObject())
                    parts.Add($"{field.Name}: {string.Join("; ", field.Value.EnumerateArray().Select(e => e.ToString()))}");
            return parts.Count > 0 ? string.Join(": ", parts) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// "roles quality; clinics clinic-a; expires 2026-12-04 23:00 UTC", read from the token without checking it (only the
    /// service can), or a note that it is not a token at all.
    internal static string TokenText(string token)
    {
        var parts = token.Trim().Split('.');
        if (parts.Length != 3) return "something that is not a JWT";
        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
            using var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            string List(string claim) =>
                json.RootElement.TryGetProperty(claim, out var value)
                    ? value.ValueKind == JsonValueKind.Array ? string.Join(", ", value.EnumerateArray().Select(v => v.ToString())) : value.ToString()
                    : "none";
            var text = $"roles {List("role")}; clinics {List("clinics")}";
            if (json.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds))
            {
                var at = DateTimeOffset.FromUnixTimeSeconds(seconds);
                text += $"; {(at < DateTimeOffset.UtcNow ? "expired" : "expires")} " +
                        at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";
            }
            return text;
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            return "something that is not a JWT";
        }
    }

    private static string Shortened(string body)
    {
        var flat = body.ReplaceLineEndings(" ").Trim();
        return flat.Length <= MaxBody ? flat : flat[..MaxBody] + "...";
    }
}
