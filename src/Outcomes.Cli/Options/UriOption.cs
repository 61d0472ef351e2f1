using System.CommandLine;

namespace Outcomes.Cli.Options;

/// <summary>An option holding an absolute URI of the given schemes, refused with one clear message otherwise.</summary>
public static class UriOption
{
    public static Option<Uri?> Create(string name, string description, string kind, params string[] schemes) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (Parse(text, schemes) is { } uri) return uri;
            result.AddError($"{name} must be {kind}, got '{text}'");
            return null;
        },
    };

    /// <summary>The URI, or null when the text is not an absolute URI of one of the schemes.</summary>
    public static Uri? Parse(string? text, params string[] schemes) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && schemes.Contains(uri.Scheme) ? uri : null;
}
