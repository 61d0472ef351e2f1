using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Outcomes.Contracts;

/// <summary>
/// Reads and writes a contract enumeration as exactly one of its documented strings. The built-in
/// string-enum converter also takes integers (<c>"sex": 1</c>), numeric strings and other letter cases;
/// the contract allows none of those.
/// </summary>
/// <typeparam name="TEnum">The contract enumeration.</typeparam>
public sealed class WireEnumConverter<TEnum> : JsonConverter<TEnum> where TEnum : struct, Enum
{
    private static readonly IReadOnlyDictionary<string, TEnum> ByName = WireContract.EnumNames(typeof(TEnum))
        .Zip(Enum.GetValues<TEnum>()).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);

    private static readonly IReadOnlyDictionary<TEnum, string> ByValue = ByName.ToDictionary(p => p.Value, p => p.Key);

    /// <inheritdoc />
    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && ByName.TryGetValue(reader.GetString()!, out var value))
            return value;
        throw new JsonException($"must be one of {WireContract.OneOf(typeof(TEnum))}");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options) =>
        writer.WriteStringValue(ByValue.TryGetValue(value, out var name) ? name : throw new JsonException($"{value} is not a {typeof(TEnum).Name} of the contract"));
}

/// <summary>
/// Reads <c>occurredAt</c> as an RFC 3339 date-time that carries its offset (<c>Z</c> or <c>+hh:mm</c>).
/// The framework's reader takes a date alone, or a time without offset, and silently assumes one.
/// </summary>
public sealed partial class WireTimestampConverter : JsonConverter<DateTimeOffset>
{
    /// <summary>The accepted form, .NET syntax (anchored with <c>\z</c>).</summary>
    public const string Pattern = @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})\z";

    /// <summary>The rule a refused value breaks.</summary>
    public const string Rule = "must be an ISO 8601 date-time with seconds and an offset, e.g. 2026-03-01T14:30:00Z or 2026-03-01T15:30:00+01:00";

    /// <inheritdoc />
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length <= 64 && reader.GetString() is { Length: <= 40 } text
            && Form().IsMatch(text) && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.RoundtripKind, out var value))
            return value;
        throw new JsonException(Rule);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex Form();
}
