using System.Net.Mime;
using System.Runtime.Serialization;
using MassTransit;
using MassTransit.Serialization;

namespace Outcomes.Service.Hosting;

/// MassTransit's raw JSON reader, except that a body it cannot parse (not JSON, truncated) still reaches
/// the consumer, as an empty object: the consumer reads the original bytes itself and refuses them with
/// the contract's field and rule, records the refusal, and the message goes to the error queue once.
public sealed class TolerantRawJson : ISerializerFactory, IMessageDeserializer
{
    private readonly SystemTextJsonRawMessageSerializer _inner = new(RawSerializerOptions.AnyMessageType);

    public ContentType ContentType => SystemTextJsonRawMessageSerializer.JsonContentType;

    public IMessageSerializer CreateSerializer() => _inner;

    public IMessageDeserializer CreateDeserializer() => this;

    public ConsumeContext Deserialize(ReceiveContext receiveContext) =>
        new BodyConsumeContext(receiveContext, Deserialize(receiveContext.Body, receiveContext.TransportHeaders, receiveContext.InputAddress));

    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null)
    {
        try
        {
            return _inner.Deserialize(body, headers, destinationAddress);
        }
        catch (SerializationException)
        {
            return _inner.Deserialize(new StringMessageBody("{}"), headers, destinationAddress);
        }
    }

    public MessageBody GetMessageBody(string text) => _inner.GetMessageBody(text);

    public void Probe(ProbeContext context) => _inner.Probe(context);
}
