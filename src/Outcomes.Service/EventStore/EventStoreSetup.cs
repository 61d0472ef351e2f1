using JasperFx;
using JasperFx.Events;
using Marten;
using Npgsql;
using Weasel.Core;

namespace Outcomes.Service.EventStore;

/// The event store: Marten over PostgreSQL, and the plain Npgsql data source for what bypasses Marten. A course is kept
/// as its event stream only; its state is built from the stream by PatientCourse.Apply (CourseStreamReader, and the
/// ingestion writer's CourseCache), and the outcome read model keeps what reports need (CourseOutcomes:
/// AddOutcomeReadModel). Each feature registers its own tables beside Marten's (ConfigureMarten in its Add method), so
/// the event store knows no feature. Marten kept an inline PatientCourse document until 2026-12-05: a second stored copy of every
/// course, rewritten whole on each new fact, that only the course endpoints read (docs/architecture.md).
public static class EventStoreSetup
{
    public static IServiceCollection AddOutcomesEventStore(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Outcomes")
            ?? throw new InvalidOperationException("ConnectionStrings:Outcomes is not configured (environment ConnectionStrings__Outcomes)");

        services.AddMarten(options =>
        {
            options.Connection(WithPreparedStatements(connectionString));
            options.DatabaseSchemaName = configuration["EventStore:Schema"] ?? "outcomes";
            options.UseSystemTextJsonForSerialization(EnumStorage.AsString);
            options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;

            options.Events.StreamIdentity = StreamIdentity.AsString;
            // The publisher's event id is the stored event id; unique, so a redelivery cannot store it twice.
            options.Events.EnableUniqueIndexOnEventId = true;
            options.Events.MetadataConfig.CorrelationIdEnabled = true;
            options.Events.MetadataConfig.CausationIdEnabled = true;
            options.Events.MetadataConfig.HeadersEnabled = true;
        })
        .ApplyAllDatabaseChangesOnStartup()
        .UseLightweightSessions();

        // Plain Npgsql for the reads and writes that bypass Marten's append, document and LINQ layers: the ingestion
        // writer (CourseBatchWriter writes Marten's tables set-based), the course stream reader and the read models.
        services.AddSingleton(_ => NpgsqlDataSource.Create(WithPreparedStatements(connectionString)));
        services.AddSingleton(provider => new EventTables(provider.GetRequiredService<IDocumentStore>().Options.Events.DatabaseSchemaName));
        services.AddSingleton<CourseStreamReader>();
        return services;
    }

    /// Statements the ingestion path repeats per course and per batch this many times are prepared
    /// once per pooled connection, unless the connection string says otherwise. Marten leaves this to
    /// the connection string (its docs: "a per-deployment tuning decision"); for ingestion, whose cost
    /// is hundreds of small statements per batch, it halves PostgreSQL's CPU per fact (parse and plan
    /// were a third of it, docs/benchmarks.md). The hazards Marten lists do not apply here: no
    /// conjoined tenancy, and every schema change is applied at start-up, before anything is prepared.
    internal static string WithPreparedStatements(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare > 0) return connectionString;
        builder.MaxAutoPrepare = MaxAutoPrepare;
        builder.AutoPrepareMinUsages = 2;
        return builder.ConnectionString;
    }

    internal const int MaxAutoPrepare = 32;
}
