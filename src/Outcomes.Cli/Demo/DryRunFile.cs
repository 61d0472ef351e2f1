using System.Text;
using System.Text.Json;

namespace Outcomes.Cli.Demo;

/// <summary>
/// The feed as JSON lines, one message per line, for tests, benchmarks and reading by eye:
/// <c>{"routingKey":"v1.phq9-completed","messageId":"…","correlationId":"…","body":{…}}</c>,
/// plus <c>"invalid":"&lt;rule&gt;"</c> and <c>"duplicate":true</c> where they apply. A body that is not
/// JSON (the malformed-json variant) is written as the string <c>"bodyText"</c> instead of <c>"body"</c>.
/// Bodies are written verbatim, so reading the file back gives the exact bytes that would be published.
/// Without annotations (<see cref="WriteForBulkLoad"/>) the lines are what the service's bulk upload
/// takes: routing key, message id, correlation id and body, with a non-JSON body as a JSON string
/// (which the service refuses, as it would refuse the message).
/// </summary>
public static class DryRunFile
{
    private static readonly JsonWriterOptions LineOptions = new() { Indented = false };

    public static void Write(Stream stream, IEnumerable<DemoMessage> messages) => Write(stream, messages, annotated: true);

    /// <summary>The lines of <c>POST /api/v1/ingestion/batches</c>; returns the number written.</summary>
    public static long WriteForBulkLoad(Stream stream, IEnumerable<DemoMessage> messages) => Write(stream, messages, annotated: false);

    private static long Write(Stream stream, IEnumerable<DemoMessage> messages, bool annotated)
    {
        long written = 0;
        using var writer = new Utf8JsonWriter(stream, LineOptions);
        foreach (var message in messages)
        {
            writer.WriteStartObject();
            writer.WriteString("routingKey", message.RoutingKey);
            writer.WriteString("messageId", message.MessageId);
            if (message.CorrelationId is not null) writer.WriteString("correlationId", message.CorrelationId);
            if (annotated && message.Invalid is not null) writer.WriteString("invalid", message.Invalid);
            if (annotated && message.Duplicate) writer.WriteBoolean("duplicate", true);
            if (IsJson(message.Body))
            {
                writer.WritePropertyName("body");
                writer.WriteRawValue(message.Body, skipInputValidation: true);
            }
            else
            {
                writer.WriteString(annotated ? "bodyText" : "body", Encoding.UTF8.GetString(message.Body));
            }
            writer.WriteEndObject();
            writer.Flush();
            writer.Reset();
            stream.WriteByte((byte)'\n');
            written++;
        }
        return written;
    }

    public static IEnumerable<DemoMessage> Read(TextReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var body = root.TryGetProperty("body", out var json)
                ? Encoding.UTF8.GetBytes(json.GetRawText())
                : Encoding.UTF8.GetBytes(root.GetProperty("bodyText").GetString()!);
            yield return new DemoMessage(
                root.GetProperty("routingKey").GetString()!,
                root.GetProperty("messageId").GetString()!,
                root.TryGetProperty("correlationId", out var correlation) ? correlation.GetString() : null,
                body,
                root.TryGetProperty("invalid", out var invalid) ? invalid.GetString() : null,
                root.TryGetProperty("duplicate", out var duplicate) && duplicate.GetBoolean());
        }
    }

    private static bool IsJson(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, isFinalBlock: true, state: default);
        try
        {
            while (reader.Read()) { }
            return reader.BytesConsumed == body.Length && reader.TokenType != JsonTokenType.None;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
