using MassTransit;
using Microsoft.Extensions.Options;
using Outcomes.Contracts;

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
        public override ClinicEventReceived Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
        {
            reader.Skip();
            return new ClinicEventReceived();
        }

        public override void Write(System.Text.Json.Utf8JsonWriter writer, ClinicEventReceived value, System.Text.Json.JsonSerializerOptions options) =>
            writer.WriteNullValue();
    }
}

/// Consumes plain JSON published by any AMQP client to the contract exchange.
public sealed class ClinicEventConsumer(CourseAppender appender, RejectionLog rejections, TimeProvider clock,
    IOptions<IngestionOptions> options) : IConsumer<ClinicEventReceived>
{
    public async Task Consume(ConsumeContext<ClinicEventReceived> context)
    {
        var routingKey = context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var amqp) ? amqp.RoutingKey ?? "" : "";
        var body = context.ReceiveContext.Body.GetBytes();
        var (fact, rejection) = ClinicEventReader.Read(routingKey, body, clock.GetUtcNow());
        if (rejection is not null)
        {
            await rejections.Record(rejection, options.Value.Queue, context.CancellationToken);
            throw new ClinicEventRejectedException(rejection);
        }
        var metadata = new FactMetadata(amqp?.Properties.CorrelationId ?? context.CorrelationId?.ToString(),
            Header(amqp, "causation-id"), "amqp-json");
        await appender.Append(fact!, metadata, CancellationToken.None);
    }

    private static string? Header(RabbitMqBasicConsumeContext? amqp, string name) =>
        amqp?.Properties.Headers is { } headers && headers.TryGetValue(name, out var value)
            ? value switch { byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes), null => null, _ => value.ToString() }
            : null;
}

/// Consumes the MassTransit envelope from .NET publishers, with the same rules as raw JSON.
public sealed class ClinicEnvelopeConsumer(CourseAppender appender, RejectionLog rejections, TimeProvider clock,
    IOptions<IngestionOptions> options) :
    IConsumer<PatientEnrolled>, IConsumer<TreatmentSessionGiven>, IConsumer<Phq9Completed>, IConsumer<CourseEnded>
{
    public Task Consume(ConsumeContext<PatientEnrolled> context) => Ingest(context, "patient-enrolled");
    public Task Consume(ConsumeContext<TreatmentSessionGiven> context) => Ingest(context, "treatment-session-given");
    public Task Consume(ConsumeContext<Phq9Completed> context) => Ingest(context, "phq9-completed");
    public Task Consume(ConsumeContext<CourseEnded> context) => Ingest(context, "course-ended");

    private async Task Ingest<T>(ConsumeContext<T> context, string messageType) where T : class, IClinicEvent
    {
        var (fact, rejection) = ClinicEventReader.Validate(messageType, context.Message, clock.GetUtcNow());
        if (rejection is not null)
        {
            await rejections.Record(rejection, options.Value.EnvelopeQueue, context.CancellationToken);
            throw new ClinicEventRejectedException(rejection);
        }
        var metadata = new FactMetadata(context.CorrelationId?.ToString(), context.InitiatorId?.ToString(), "masstransit-envelope");
        await appender.Append(fact!, metadata, CancellationToken.None);
    }
}

/// A body that is not JSON at all fails in MassTransit's deserializer before any consumer runs;
/// this records it like any other rejection (MassTransit has already moved it to the error queue).
public sealed class UnreadableMessageObserver(RejectionLog rejections) : IReceiveObserver
{
    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;
    public Task PostReceive(ReceiveContext context) => Task.CompletedTask;
    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;
    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class => Task.CompletedTask;

    public Task ReceiveFault(ReceiveContext context, Exception exception)
    {
        if (exception is ClinicEventRejectedException) return Task.CompletedTask;
        var routingKey = context.TryGetPayload<RabbitMqBasicConsumeContext>(out var amqp) ? amqp.RoutingKey ?? "" : "";
        var queue = context.InputAddress?.AbsolutePath.Trim('/') ?? "";
        return rejections.Record(new Rejection(routingKey, null, null, "body",
            "must be a single JSON object (UTF-8) matching the contract v1 schema"), queue, CancellationToken.None);
    }
}
