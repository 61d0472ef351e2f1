using System.Text.RegularExpressions;

namespace Outcomes.Service.Ingestion;

/// The patient key must be an opaque pseudonymous token. Integration engines sometimes map the
/// wrong source field; these checks catch the identifiers that most often leak that way.
public static partial class PatientKeyRule
{
    public const int MinLength = 8;
    public const int MaxLength = 64;

    /// Null when the key is acceptable, otherwise the rule it breaks (never echoing the value).
    public static string? Check(string key)
    {
        if (key.Contains('@'))
            return "looks like an e-mail address; send an opaque pseudonymous token";
        if (key.Any(char.IsWhiteSpace))
            return "contains spaces and reads like a name; send an opaque pseudonymous token";
        if (key.Length is < MinLength or > MaxLength)
            return $"must be {MinLength}-{MaxLength} characters";
        if (!TokenCharacters().IsMatch(key))
            return "may contain only letters, digits, '-' and '_'";
        if (SsnLike().IsMatch(key))
            return "looks like a social security number";
        if (PhoneLike().IsMatch(key))
            return "looks like a phone number";
        if (RecordNumberLike().IsMatch(key))
            return "looks like a medical record number (a prefix and digits only); send an opaque pseudonymous token";
        if (!key.Any(char.IsDigit))
            return "has no digits and reads like a name; send an opaque pseudonymous token";
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex TokenCharacters();

    [GeneratedRegex(@"^\d{3}[-_]?\d{2}[-_]?\d{4}$")]
    private static partial Regex SsnLike();

    [GeneratedRegex(@"^\+?\d{0,3}[-_]?\(?\d{3}\)?[-_]?\d{3}[-_]?\d{4}$")]
    private static partial Regex PhoneLike();

    // Digits alone, or a short alphabetic prefix before a run of digits (MRN12345678, PT-00012345).
    [GeneratedRegex(@"^([A-Za-z]{1,8}[-_]?)?\d[\d_-]*$")]
    private static partial Regex RecordNumberLike();
}
