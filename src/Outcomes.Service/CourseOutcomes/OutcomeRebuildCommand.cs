using Marten;
using Outcomes.Service.EventStore;

namespace Outcomes.Service.CourseOutcomes;

/// `Outcomes.Service rebuild-outcomes`: derives the outcome read model again from the event store, in the
/// foreground with progress, for operators (after changing outcome definitions while the service is down, or to
/// check a suspicion). The running service needs no restart: rows are replaced in place, never by older states.
public static class OutcomeRebuildCommand
{
    public const string Verb = "rebuild-outcomes";

    public static async Task<int> Run(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddOutcomesEventStore(builder.Configuration);
        builder.Services.AddOutcomeReadModel();
        using var host = builder.Build();

        var store = host.Services.GetRequiredService<IDocumentStore>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var readModel = host.Services.GetRequiredService<OutcomeReadModel>();
        var before = await readModel.State(CancellationToken.None);
        Console.WriteLine($"Outcome read model: {before.CurrentRows:N0} of {before.Courses:N0} courses current ({before.Rows:N0} rows); rebuilding from the event store");

        var result = await readModel.Rebuild(new Reporter(), CancellationToken.None);
        var after = await readModel.State(CancellationToken.None);
        Console.WriteLine($"Rebuilt {result.CoursesDone:N0} courses from {result.Facts:N0} facts in {result.Elapsed.TotalSeconds:F1} s; " +
            $"{after.CurrentRows:N0} of {after.Courses:N0} courses current");
        return after.IsCurrent ? 0 : 1;
    }

    /// Synchronous on purpose: Progress<T> would post to the thread pool and print out of order.
    private sealed class Reporter : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress p)
        {
            var share = p.CoursesTotal == 0 ? 100 : 100.0 * p.CoursesDone / p.CoursesTotal;
            var rate = p.Elapsed.TotalSeconds > 0 ? p.CoursesDone / p.Elapsed.TotalSeconds : 0;
            var eta = rate > 0 ? TimeSpan.FromSeconds((p.CoursesTotal - p.CoursesDone) / rate) : TimeSpan.Zero;
            Console.WriteLine($"  {p.CoursesDone,10:N0} / {p.CoursesTotal:N0} courses ({share,5:F1} %), {p.Facts:N0} facts, " +
                $"{rate:N0} courses/s, about {eta:mm\\:ss} left");
        }
    }
}
