using System.Runtime.Serialization;
using MassTransit;
using MassTransit.Middleware;

namespace Outcomes.Service.Ingestion;

/// The error queue's copy of a refused message is read by integration engineers and kept for days, so
/// its fault headers say what is wrong and nothing about the service: no stack trace (it carries the
/// build's source paths), and for a body MassTransit could not read, the contract's rule instead of the
/// JSON reader's text. Replaces MassTransit's default error pipe (GenerateFaultFilter + ErrorTransportFilter)
/// without the fault event, which would carry the exception (and its stack trace) to whoever the
/// message names as its fault address.
public sealed class FaultHeaders : IFilter<ExceptionReceiveContext>
{
    public const string StackTraceHeader = "MT-Fault-StackTrace";
    public const string MessageHeader = "MT-Fault-Message";

    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        context.ExceptionHeaders.Set(StackTraceHeader, null);
        if (context.Exception is not ClinicEventRejectedException && IsUnreadable(context.Exception))
            context.ExceptionHeaders.Set(MessageHeader, $"body: {ClinicEventReader.BodyNotContract}");
        if (!context.IsFaulted)
            await context.NotifyFaulted(context.Exception).ConfigureAwait(false);
        await next.Send(context).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("outcomesFaultHeaders");

    /// The body could not be deserialized at all: MassTransit wraps the reader's error, or (an envelope whose message is
    /// not a JSON object) System.Text.Json refuses to make a JsonObject of it before the consumer runs.
    public static bool IsUnreadable(Exception exception) =>
        exception is SerializationException
        || exception.GetBaseException() is System.Text.Json.JsonException
        || (exception is InvalidOperationException && exception.Source == typeof(System.Text.Json.Nodes.JsonObject).Assembly.GetName().Name);

    public static void Configure(IReceiveEndpointConfigurator endpoint) =>
        endpoint.ConfigureError(pipe =>
        {
            pipe.UseFilter(new FaultHeaders());
            pipe.UseFilter(new ErrorTransportFilter());
        });
}
