using System.Net.Mime;
using MassTransit;
using MassTransit.Serialization;

namespace Outcomes.Service.Ingestion;

/// MassTransit's raw JSON reader for the ingestion queue, without its reading of the body: the consumer reads the original
/// bytes itself (ClinicEventReader) and refuses a bad body with the contract's field and rule, so MassTransit is handed an
/// empty object for every message. Parsing each body here as well cost a whole second JSON parse per message (a
/// twentieth of the service's allocations on the ingestion path), and a body that is not JSON still reaches the consumer,
/// is recorded as refused, and goes to the error queue once (the receive context keeps the original bytes).
public sealed class TolerantRawJson : ISerializerFactory, IMessageDeserializer
{
    private static readonly MessageBody EmptyObject = new StringMessageBody("{}");
    private readonly SystemTextJsonRawMessageSerializer _inner = new(RawSerializerOptions.AnyMessageType);

    public ContentType ContentType => SystemTextJsonRawMessageSerializer.JsonContentType;

    public IMessageSerializer CreateSerializer() => _inner;

    public IMessageDeserializer CreateDeserializer() => this;

    public ConsumeContext Deserialize(ReceiveContext receiveContext) =>
        new BodyConsumeContext(receiveContext, Deserialize(receiveContext.Body, receiveContext.TransportHeaders, receiveContext.InputAddress));

    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null) =>
        _inner.Deserialize(EmptyObject, headers, destinationAddress);

    public MessageBody GetMessageBody(string text) => _inner.GetMessageBody(text);

    public void Probe(ProbeContext context) => _inner.Probe(context);
}
