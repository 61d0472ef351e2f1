using Marten;
using MassTransit;
using Microsoft.Extensions.Options;
using Outcomes.Contracts;
using Outcomes.Service.Hosting;

namespace Outcomes.Service.Ingestion;

public static class MessagingSetup
{
    public static IServiceCollection AddOutcomesMessaging(this IServiceCollection services, IConfiguration configuration)
    {
        var rabbitMq = configuration.GetConnectionString("RabbitMq")
            ?? throw new InvalidOperationException("ConnectionStrings:RabbitMq is not configured (environment ConnectionStrings__RabbitMq, an amqp:// URI)");

        services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // Ingestion's tables beside Marten's: refused messages (no patient data) and their tallies per rule.
        services.ConfigureMarten(options =>
        {
            options.Schema.For<IngestionRejection>().Index(r => r.RejectedAt).Index(r => r.ClinicId!).Index(r => r.Quota).Index(r => r.Uploader!);
            options.Storage.ExtendedSchemaObjects.Add(new RejectionTallyTable(options.DatabaseSchemaName).Definition());
        });
        services.AddSingleton<CourseBatchWriter>();
        services.AddSingleton<CourseAppender>();
        services.AddTransient<BulkUpload>();
        services.AddHostedService(sp => sp.GetRequiredService<CourseAppender>());
        services.AddSingleton<RejectionLog>();
        services.AddSingleton<ClinicEventIngestion>();
        // One instance of each consumer for every message (both are stateless, over singletons): a consumer registered
        // with AddConsumer costs a dependency-injection scope per message, measurable at thousands a second.
        services.AddSingleton<ClinicEventConsumer>();
        services.AddSingleton<ClinicEnvelopeConsumer>();
        services.AddSingleton(TimeProvider.System);
        // Before the bus's own hosted service: the queues' type is checked and the error queues exist first.
        services.AddHostedService<QueueTopology.Check>();
        var broker = BrokerNodes.Parse(rabbitMq);

        services.AddMassTransit(bus =>
        {
            // A health-data backend makes no calls home.
            bus.DisableUsageTelemetry();

            bus.UsingRabbitMq((context, cfg) =>
            {
                var ingestion = context.GetRequiredService<IOptions<IngestionOptions>>().Value;
                // Several comma-separated URIs are the nodes of one cluster: connect to the first that answers, and
                // reconnect to another when it goes.
                cfg.Host(broker.First, host =>
                {
                    if (broker.IsCluster)
                        host.UseCluster(cluster =>
                        {
                            foreach (var (nodeHost, port) in broker.Nodes) cluster.Node($"{nodeHost}:{port}");
                        });
                });
                // Plain JSON (content type application/json, or none) is read as any message type: the
                // ingestion consumer reads the body itself. The MassTransit envelope keeps its own content type.
                cfg.AddDeserializer(new TolerantRawJson(), isDefault: true);
                // Refused bodies may hold what should never have been sent; the error queue keeps them for a
                // stated time only (x-message-ttl), long enough for an integration engineer to look.
                cfg.SendTopology.ConfigureErrorSettings = error =>
                {
                    error.SetQueueArgument("x-message-ttl", (long)ingestion.ErrorQueueRetention.TotalMilliseconds);
                    QueueTopology.ForErrorQueue(error);
                };
                cfg.SendTopology.ConfigureDeadLetterSettings = QueueTopology.ForErrorQueue;
                cfg.ConnectReceiveObserver(new UnreadableMessageObserver(context.GetRequiredService<RejectionLog>()));

                cfg.ReceiveEndpoint(ingestion.Queue, endpoint =>
                {
                    // Plain JSON from any AMQP client, routed by the contract's routing key.
                    endpoint.ConfigureConsumeTopology = false;
                    endpoint.Bind(ingestion.Exchange, binding =>
                    {
                        binding.ExchangeType = WireContract.ExchangeType;
                        binding.Durable = true;
                        // Every routing key, so an unknown version or type is rejected with a reason, not dropped unroutable.
                        binding.RoutingKey = "#";
                    });
                    ConfigureIngestion(endpoint, ingestion);
                    QueueTopology.Apply(endpoint, ingestion, ingestion.Queue);
                    endpoint.Instance(context.GetRequiredService<ClinicEventConsumer>());
                });

                cfg.ReceiveEndpoint(ingestion.EnvelopeQueue, endpoint =>
                {
                    // The consumer takes JsonObject (any envelope), so the contract's type exchanges are bound by hand.
                    endpoint.ConfigureConsumeTopology = false;
                    endpoint.Bind<PatientEnrolled>();
                    endpoint.Bind<TreatmentSessionGiven>();
                    endpoint.Bind<Phq9Completed>();
                    endpoint.Bind<CourseEnded>();
                    endpoint.Bind<FactRetracted>();
                    ConfigureIngestion(endpoint, ingestion);
                    QueueTopology.Apply(endpoint, ingestion, ingestion.EnvelopeQueue);
                    endpoint.Instance(context.GetRequiredService<ClinicEnvelopeConsumer>());
                });
            });
        });

        // Declare durable topology before anything is published to it, and fail start-up loudly if the broker is absent.
        services.Configure<MassTransitHostOptions>(options =>
        {
            options.WaitUntilStarted = true;
            options.StartTimeout = TimeSpan.FromSeconds(60);
            options.StopTimeout = TimeSpan.FromSeconds(30);
        });
        // Ingestion's telemetry (OutcomesMetrics, registered by Hosting's AddOutcomesTelemetry).
        services.AddConsumeObserver<IngestionTelemetry>();
        services.AddHostedService<QueueDepthProbe>();
        return services;
    }

    private static void ConfigureIngestion(IRabbitMqReceiveEndpointConfigurator endpoint, IngestionOptions ingestion)
    {
        endpoint.PrefetchCount = ingestion.PrefetchCount;
        endpoint.ConcurrentMessageLimit = ingestion.PrefetchCount;
        endpoint.PublishFaults = false;
        FaultHeaders.Configure(endpoint);
        endpoint.UseMessageRetry(retry =>
        {
            // A refusal is permanent: to the error queue on the first delivery, never retried. The consumers turn
            // every problem of the message itself into this exception, so what is retried is the append alone.
            retry.Ignore<ClinicEventRejectedException>();
            // Outages of the database are retried for minutes before a valid message is parked in the error queue.
            retry.Exponential(12, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        });
    }
}
