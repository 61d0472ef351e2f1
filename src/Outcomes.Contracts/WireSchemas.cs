using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace Outcomes.Contracts;

/// <summary>
/// JSON Schema (draft 2020-12) of each contract v1 message, generated from the records and
/// <see cref="WireContract.JsonOptions"/> so the published schemas cannot drift from what the
/// service accepts.
/// </summary>
public static class WireSchemas
{
    /// <summary>Base of every schema's <c>$id</c>.</summary>
    public const string IdBase = "https://outcomes.example/schemas/";

    /// <summary>Schema text per message type name (e.g. "phq9-completed"), indented, newline-terminated.</summary>
    public static IReadOnlyDictionary<string, string> Generate()
    {
        var schemas = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, type) in WireContract.MessageTypes)
        {
            var node = WireContract.JsonOptions.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions
            {
                TreatNullObliviousAsNonNullable = true,
                TransformSchemaNode = AddConstraints,
            }).AsObject();
            var schema = new JsonObject
            {
                ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                ["$id"] = $"{IdBase}{WireContract.Version}/{name}.schema.json",
                ["title"] = $"{name} ({WireContract.Version})",
                ["description"] = Describe(type),
                ["x-routing-key"] = WireContract.RoutingKey(name),
            };
            foreach (var (key, value) in node)
                schema[key] = value?.DeepClone();
            schemas[name] = schema.ToJsonString(new JsonSerializerOptions
            {
                WriteIndented = true,
                Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            }) + "\n";
        }
        return schemas;
    }

    // The contract records carry their ranges and patterns as data annotations; the exporter does
    // not read those, so they are copied into the schema here (items' Range applies to each item).
    private static JsonNode AddConstraints(JsonSchemaExporterContext context, JsonNode schema)
    {
        // The contract's own converters are opaque to the exporter: state what they accept.
        if (context.TypeInfo.Type.IsEnum)
            return new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(WireContract.EnumNames(context.TypeInfo.Type).Select(n => (JsonNode)n).ToArray()) };
        if (context.TypeInfo.Type == typeof(DateTimeOffset))
            return new JsonObject { ["type"] = "string", ["format"] = "date-time", ["pattern"] = ContractLimits.Ecma(WireTimestampConverter.Pattern) };
        if (context.PropertyInfo?.AttributeProvider is not { } provider || schema is not JsonObject node)
            return schema;
        foreach (var attribute in provider.GetCustomAttributes(true))
        {
            switch (attribute)
            {
                case RegularExpressionAttribute regex:
                    node["pattern"] = ContractLimits.Ecma(regex.Pattern);
                    break;
                case LengthAttribute length when node["items"] is not null:
                    node["minItems"] = length.MinimumLength;
                    node["maxItems"] = length.MaximumLength;
                    break;
                case LengthAttribute length:
                    node["minLength"] = length.MinimumLength;
                    node["maxLength"] = length.MaximumLength;
                    break;
                case RangeAttribute range:
                    var target = node["items"] as JsonObject ?? node;
                    target[range.MinimumIsExclusive ? "exclusiveMinimum" : "minimum"] = JsonValue.Create(Convert.ToDouble(range.Minimum, System.Globalization.CultureInfo.InvariantCulture));
                    target["maximum"] = JsonValue.Create(Convert.ToDouble(range.Maximum, System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }
        }
        return schema;
    }

    private static string Describe(Type type) =>
        type.GetCustomAttributes(typeof(System.ComponentModel.DescriptionAttribute), false) is [System.ComponentModel.DescriptionAttribute d, ..]
            ? d.Description
            : type.Name;
}
