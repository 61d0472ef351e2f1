using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Patients;
using Weasel.Core;

namespace Outcomes.Service.Hosting;

public static class EventStoreSetup
{
    public static IServiceCollection AddOutcomesEventStore(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Outcomes")
            ?? throw new InvalidOperationException("ConnectionStrings:Outcomes is not configured (environment ConnectionStrings__Outcomes)");

        services.AddMarten(options =>
        {
            options.Connection(connectionString);
            options.DatabaseSchemaName = configuration["EventStore:Schema"] ?? "outcomes";
            options.UseSystemTextJsonForSerialization(EnumStorage.AsString);
            options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;

            options.Events.StreamIdentity = StreamIdentity.AsString;
            // The publisher's event id is the stored event id; unique, so a redelivery cannot store it twice.
            options.Events.EnableUniqueIndexOnEventId = true;
            options.Events.MetadataConfig.CorrelationIdEnabled = true;
            options.Events.MetadataConfig.CausationIdEnabled = true;
            options.Events.MetadataConfig.HeadersEnabled = true;

            options.Projections.Add<PatientCourseProjection>(ProjectionLifecycle.Inline);
            options.Schema.For<PatientCourse>().Index(c => c.ClinicId);
            options.Schema.For<IngestionRejection>().Index(r => r.RejectedAt).Index(r => r.ClinicId!);
        })
        .ApplyAllDatabaseChangesOnStartup()
        .UseLightweightSessions();
        return services;
    }
}
