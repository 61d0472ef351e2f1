using System.Text.Json;
using System.Text.Json.Serialization;

namespace Outcomes.Domain.Outcomes;

/// A report section's rates, one per measure of Measures.Rates in that order, after the induction window they were
/// computed for. In JSON each rate is a property named after its measure, so the section reads as before the table.
public interface IRateSet<TSelf, TRate>
    where TSelf : IRateSet<TSelf, TRate>
{
    int InductionWindowDays { get; }

    IReadOnlyList<TRate> Rates { get; }

    static abstract TSelf Create(int inductionWindowDays, IReadOnlyList<TRate> rates);
}

/// Writes a rate set as { "inductionWindowDays": n, "<measure>": rate, ... } under the serializer's naming policy,
/// and reads it back (every rate of the table must be present).
public sealed class RateSetJsonConverter<TSet, TRate> : JsonConverter<TSet>
    where TSet : IRateSet<TSet, TRate>
{
    private const string Window = "InductionWindowDays";

    public override void Write(Utf8JsonWriter writer, TSet value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        writer.WriteStartObject();
        writer.WriteNumber(Name(Window, options), value.InductionWindowDays);
        for (var i = 0; i < Measures.Rates.Count; i++)
        {
            writer.WritePropertyName(Name(Measures.Rates[i].Key, options));
            JsonSerializer.Serialize(writer, value.Rates[i], options);
        }
        writer.WriteEndObject();
    }

    public override TSet Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("a rate set must be a JSON object");
        var window = 0;
        var rates = new TRate[Measures.Rates.Count];
        var seen = new bool[rates.Length];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (string.Equals(name, Name(Window, options), StringComparison.OrdinalIgnoreCase))
            {
                window = reader.GetInt32();
                continue;
            }
            var measure = Measures.Rates.FirstOrDefault(m => string.Equals(Name(m.Key, options), name, StringComparison.OrdinalIgnoreCase))
                ?? throw new JsonException($"'{name}' is not a rate of the table of measures");
            rates[measure.RateIndex] = JsonSerializer.Deserialize<TRate>(ref reader, options)!;
            seen[measure.RateIndex] = true;
        }
        var missing = Measures.Rates.Where(m => !seen[m.RateIndex]).Select(m => m.Key).ToList();
        if (missing.Count > 0) throw new JsonException($"the rate set lacks {string.Join(", ", missing)}");
        return TSet.Create(window, rates);
    }

    private static string Name(string key, JsonSerializerOptions options) => options.PropertyNamingPolicy?.ConvertName(key) ?? key;
}
