using Marten;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Ingestion;

namespace Outcomes.Service.CourseOutcomes;

/// The outcome read model registers itself: its table beside Marten's, its writer among ingestion's observers, its
/// start-up check. Needs the event store (EventStore.AddOutcomesEventStore) registered too.
public static class OutcomeReadModelSetup
{
    public static IServiceCollection AddOutcomeReadModel(this IServiceCollection services)
    {
        services.ConfigureMarten(options =>
            options.Storage.ExtendedSchemaObjects.Add(new CourseOutcomeTable(options.DatabaseSchemaName).Definition()));
        services.AddSingleton(OutcomeDefinitions.Default);
        services.AddSingleton<OutcomeReadModel>();
        services.AddSingleton<OutcomeReadModelStatus>();
        services.AddSingleton<ICourseChangeObserver, OutcomeReadModelWriter>();
        services.AddHostedService<OutcomeReadModelStartup>();
        return services;
    }
}
