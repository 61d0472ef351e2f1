using System.Globalization;

namespace Outcomes.Cli.Fhir;

/// <summary>A FHIR time read for the contract, or why it cannot be used.</summary>
public readonly record struct FhirInstant(DateTimeOffset? At, string? Problem, bool DateOnly = false, bool NoZone = false);

/// <summary>
/// Reads FHIR dateTime / instant strings. A time keeps the offset the EHR wrote (the contract accepts any offset);
/// a date without a time becomes midnight UTC of that day (flagged); a time without a zone (not valid FHIR, but
/// seen) is taken as UTC (flagged); a year or a month alone is too vague for an assessment or a session.
/// </summary>
public static class FhirTime
{
    private static readonly string[] ZonedFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK",
    ];

    private static readonly string[] LocalFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm",
    ];

    public static FhirInstant Read(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return new(null, "no time");
        var text = value.Trim();
        if (text.Length is 4 or 7) return new(null, "time given only to the year or month");
        if (text.Length == 10)
        {
            return DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                ? new(new DateTimeOffset(day, TimeSpan.Zero), null, DateOnly: true)
                : new(null, "time is not a FHIR dateTime");
        }
        if (DateTimeOffset.TryParseExact(text, ZonedFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var zoned)
            && HasZone(text))
            return new(zoned, null);
        if (DateTime.TryParseExact(text, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            return new(new DateTimeOffset(local, TimeSpan.Zero), null, NoZone: true);
        return new(null, "time is not a FHIR dateTime");
    }

    public static FhirInstant Read(DateTimeOffset? value) => value is { } v ? new(v, null) : new(null, "no time");

    // "K" also accepts an empty zone, which would silently read local time.
    private static bool HasZone(string text)
    {
        var t = text.IndexOf('T');
        if (t < 0) return false;
        var time = text[t..];
        return time.EndsWith('Z') || time.Contains('+') || time.LastIndexOf('-') > 0;
    }
}
