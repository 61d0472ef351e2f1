using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.Extensions.Options;
using Outcomes.Contracts;
using Outcomes.Service.Hosting;

namespace Outcomes.Service.Ingestion;

/// Stands for any raw JSON body on the ingestion queue: the consumer reads the body itself, so it
/// can name the field and rule that a bad message breaks instead of failing in the deserializer.
[System.Text.Json.Serialization.JsonConverter(typeof(AnyJsonValue))]
public sealed record ClinicEventReceived
{
    /// Accepts any JSON value (object, array, literal) so that the consumer, not the deserializer,
    /// decides what is wrong with it and says so in the field-and-rule form.
    private sealed class AnyJsonValue : System.Text.Json.Serialization.JsonConverter<ClinicEventReceived>
    {
        public override ClinicEventReceived Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            reader.Skip();
            return new ClinicEventReceived();
        }

        public override void Write(Utf8JsonWriter writer, ClinicEventReceived value, JsonSerializerOptions options) =>
            writer.WriteNullValue();
    }
}

/// What both consumers do with a message once they have its routing key and body: the same reader,
/// the same metadata rules, the same refusal. A refusal is permanent: it is recorded and the message goes
/// to the error queue on its first delivery (ClinicEventRejectedException is never retried); only the
/// append, which fails when the database is away, is retried.
public sealed class ClinicEventIngestion(CourseAppender appender, RejectionLog rejections, TimeProvider clock)
{
    public async Task Ingest(string queue, string routingKey, string? contentTypeRule, ReadOnlyMemory<byte> body,
        string? correlationId, string? causationId, string receivedVia, CancellationToken cancellationToken,
        System.Text.Json.JsonSerializerOptions? wire = null)
    {
        var (fact, rejection) = contentTypeRule is not null
            ? (null, new Rejection(routingKey, null, null, "contentType", contentTypeRule))
            : ClinicEventReader.Read(routingKey, body.Span, clock.GetUtcNow(), wire ?? WireContract.JsonOptions);
        rejection ??= ClinicEventReader.CheckMetadata(fact!, "correlation_id", correlationId, "causation-id", causationId);
        if (rejection is not null)
            await Refuse(rejection, queue, cancellationToken);

        var outcome = await appender.Append(fact!, new FactMetadata(correlationId, causationId, receivedVia), CancellationToken.None);
        if (ClinicEventReader.Refusal(outcome, fact!) is { } refused)
            await Refuse(refused, queue, cancellationToken);
    }

    private async Task Refuse(Rejection rejection, string queue, CancellationToken cancellationToken)
    {
        await rejections.Record(rejection, RejectionSource.Amqp(queue), cancellationToken);
        throw new ClinicEventRejectedException(rejection);
    }
}

/// Consumes plain JSON published by any AMQP client to the contract exchange.
public sealed class ClinicEventConsumer(ClinicEventIngestion ingestion, IOptions<IngestionOptions> options) : IConsumer<ClinicEventReceived>
{
    public Task Consume(ConsumeContext<ClinicEventReceived> context)
    {
        var amqp = context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var payload) ? payload : null;
        var contentType = amqp?.Properties.ContentType;
        var contentTypeRule = string.IsNullOrEmpty(contentType) || IsMediaType(contentType, WireContract.JsonContentType)
            ? null
            : $"must be {WireContract.JsonContentType} or absent, got '{Bounded(contentType)}'";
        return ingestion.Ingest(options.Value.Queue, amqp?.RoutingKey ?? "", contentTypeRule, context.ReceiveContext.Body.GetBytes(),
            amqp?.Properties.CorrelationId, Header(amqp, "causation-id"), "amqp-json", context.CancellationToken);
    }

    internal static bool IsMediaType(string contentType, string mediaType) =>
        string.Equals(contentType.Split(';')[0].Trim(), mediaType, StringComparison.OrdinalIgnoreCase);

    internal static string Bounded(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private static string? Header(RabbitMqBasicConsumeContext? amqp, string name) =>
        amqp?.Properties.Headers is { } headers && headers.TryGetValue(name, out var value)
            ? value switch { byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes), null => null, _ => value.ToString() }
            : null;
}

/// Consumes the MassTransit envelope from .NET publishers with the same rules as raw JSON: it takes the
/// envelope's "message" exactly as sent and gives it to the same reader. Consuming JsonObject (which
/// MassTransit hands over for any message type without deserializing it) keeps MassTransit's lenient
/// reader (any letter case, integers for enumerations) out of the way.
public sealed class ClinicEnvelopeConsumer(ClinicEventIngestion ingestion, IOptions<IngestionOptions> options) : IConsumer<JsonObject>
{
    public const string EnvelopeContentType = "application/vnd.masstransit+json";

    private static readonly IReadOnlyDictionary<string, string> MessageTypeByUrn = WireContract.MessageTypes
        .ToDictionary(p => MessageUrn.ForTypeString(p.Value), p => p.Key, StringComparer.Ordinal);

    public Task Consume(ConsumeContext<JsonObject> context)
    {
        var contentType = context.ReceiveContext.ContentType?.MediaType;
        string? contentTypeRule = null;
        if (contentType is null || !ClinicEventConsumer.IsMediaType(contentType, EnvelopeContentType))
            contentTypeRule = $"must be {EnvelopeContentType} on the envelope queue, got '{ClinicEventConsumer.Bounded(contentType ?? "")}'";
        var messageType = context.SupportedMessageTypes.Select(urn => MessageTypeByUrn.GetValueOrDefault(urn)).FirstOrDefault(t => t is not null);
        var routingKey = messageType is null
            ? "envelope:" + ClinicEventConsumer.Bounded(string.Join(",", context.SupportedMessageTypes))
            : WireContract.RoutingKey(messageType);
        var body = context.ReceiveContext.Body.GetBytes();
        var message = contentTypeRule is null ? EnvelopeMessage(body) : default;
        return ingestion.Ingest(options.Value.EnvelopeQueue, routingKey, contentTypeRule, message, context.CorrelationId?.ToString(),
            context.InitiatorId?.ToString(), "masstransit-envelope", context.CancellationToken, ClinicEventReader.EnvelopeJsonOptions);
    }

    /// The bytes of the envelope's "message" property as sent (empty, which the reader refuses, when absent).
    internal static ReadOnlyMemory<byte> EnvelopeMessage(byte[] envelope)
    {
        try
        {
            var reader = new Utf8JsonReader(envelope);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isMessage = reader.ValueTextEquals("message"u8);
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                if (isMessage) return envelope.AsMemory(start, (int)reader.BytesConsumed - start);
            }
        }
        catch (JsonException)
        {
        }
        return default;
    }
}

/// A body that MassTransit cannot read at all (an envelope that is not JSON) fails before any consumer
/// runs; this records it like any other rejection. The raw queue never gets here: its deserializer
/// (TolerantRawJson) hands every body to the consumer.
public sealed class UnreadableMessageObserver(RejectionLog rejections) : IReceiveObserver
{
    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;
    public Task PostReceive(ReceiveContext context) => Task.CompletedTask;
    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;
    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class => Task.CompletedTask;

    public Task ReceiveFault(ReceiveContext context, Exception exception)
    {
        if (exception is ClinicEventRejectedException || !FaultHeaders.IsUnreadable(exception)) return Task.CompletedTask;
        var routingKey = context.TryGetPayload<RabbitMqBasicConsumeContext>(out var amqp) ? amqp.RoutingKey ?? "" : "";
        var queue = context.InputAddress?.AbsolutePath.Trim('/') ?? "";
        return rejections.Record(new Rejection(routingKey, null, null, "body", ClinicEventReader.BodyNotContract),
            RejectionSource.Amqp(queue), CancellationToken.None);
    }
}
