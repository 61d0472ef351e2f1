using System.Text.Json;

namespace Outcomes.Service.Ingestion;

/// One line of a bulk upload, as documented in the OpenAPI document: the AMQP routing key and the
/// exact AMQP body of contract v1, so that a line and a message are read by the same rules.
/// <param name="RoutingKey">The contract's routing key, e.g. "v1.phq9-completed": it names the message type and the contract version.</param>
/// <param name="Body">The message, exactly as it would be published (a JSON object).</param>
/// <param name="CorrelationId">Optional: kept with the stored event, like the AMQP correlation id.</param>
/// <param name="MessageId">Optional and informational, like the AMQP message id (the event id is the body's).</param>
public sealed record BulkLine(string RoutingKey, JsonElement Body, string? CorrelationId = null, string? MessageId = null)
{
    /// A contract message is well under 1 KB; a line this long is not one.
    public const int MaxBytes = 64 * 1024;

    /// Splits a line into its routing key, the byte range of its body and its correlation id, or says
    /// which field of the line is wrong. The body itself is left to ClinicEventReader.
    public static Parsed Parse(ReadOnlySpan<byte> line)
    {
        const string shape = "must be one JSON object {\"routingKey\":\"v1.<message-type>\",\"body\":{...}} per line";
        string? routingKey = null, correlationId = null;
        int bodyStart = -1, bodyLength = 0;
        try
        {
            var reader = new Utf8JsonReader(line, isFinalBlock: true, state: default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return Parsed.Fail("line", shape);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                switch (name)
                {
                    case "routingKey" or "correlationId" or "messageId":
                        if (reader.TokenType == JsonTokenType.Null) break;
                        if (reader.TokenType != JsonTokenType.String)
                            return Parsed.Fail(name, "must be a string");
                        if (name == "routingKey") routingKey = reader.GetString();
                        else if (name == "correlationId") correlationId = reader.GetString();
                        break;
                    case "body":
                        bodyStart = (int)reader.TokenStartIndex;
                        reader.Skip();
                        bodyLength = (int)reader.BytesConsumed - bodyStart;
                        break;
                    default:
                        return Parsed.Fail(name, "unknown property of a bulk line (allowed: routingKey, body, correlationId, messageId)");
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                return Parsed.Fail("line", shape);
        }
        catch (JsonException)
        {
            return Parsed.Fail("line", shape);
        }
        if (routingKey is null)
            return Parsed.Fail("routingKey", "is required");
        if (bodyStart < 0)
            return Parsed.Fail("body", "is required");
        return new Parsed(routingKey, bodyStart, bodyLength, correlationId, null);
    }

    /// The parts of a line, or the field and rule it breaks.
    public readonly record struct Parsed(string? RoutingKey, int BodyStart, int BodyLength, string? CorrelationId, (string Field, string Rule)? Violation)
    {
        public static Parsed Fail(string field, string rule) => new(null, 0, 0, null, (field, rule));
    }
}
