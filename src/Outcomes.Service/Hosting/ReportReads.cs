using System.ComponentModel.DataAnnotations;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Outcomes.Service.Hosting;

public sealed class ReadReplicaOptions
{
    public const string Section = "ReadReplica";

    /// How long a report asked as of a position the replica has not replayed yet waits for it before answering 409.
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "ReadReplica:WaitFor: must be between 0 and 1 minute")]
    public TimeSpan WaitFor { get; set; } = TimeSpan.FromSeconds(2);
}

/// How far a replica had got when asked: the event-store position it had replayed.
public sealed record ReplicaLag(long Replayed, bool Reached);

/// Where reports read: a streaming replica of the event store when ConnectionStrings:OutcomesRead is set (so that
/// reports and ingestion do not compete for one PostgreSQL), else the primary. A replica is behind by however much WAL
/// it has not replayed; every read from it states the position it stood at, and a question about a position it has
/// not reached waits briefly and is then refused with that position, never answered from an older state.
public sealed class ReportReads(NpgsqlDataSource primary, NpgsqlDataSource? replica, IDocumentStore store, IOptions<ReadReplicaOptions> options)
    : IAsyncDisposable
{
    public ValueTask DisposeAsync() => replica?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// The database reports read: the replica when there is one.
    public NpgsqlDataSource Source => replica ?? primary;

    public bool IsReplica => replica is not null;

    private string Schema => store.Options.Events.DatabaseSchemaName;

    /// The event store's latest position on the primary: what "beyond the latest position" is judged against.
    public Task<long> PrimaryPositionAsync(CancellationToken cancellationToken) => PositionAsync(primary, cancellationToken);

    /// The position the read source has: on a replica, the last event it has replayed.
    public Task<long> SourcePositionAsync(CancellationToken cancellationToken) => PositionAsync(Source, cancellationToken);

    /// Waits (up to ReadReplica:WaitFor) until the read source has replayed <paramref name="position"/>; without a
    /// replica it has, at once.
    public async Task<ReplicaLag> WaitForPositionAsync(long position, CancellationToken cancellationToken) => replica is null
        ? new ReplicaLag(position, true)
        : await WaitFor(async () =>
        {
            var replayed = await SourcePositionAsync(cancellationToken);
            return (replayed, replayed >= position);
        }, cancellationToken);

    /// Waits until a row the primary wrote (found by <paramref name="sql"/> with one parameter) is on the replica.
    public async Task<ReplicaLag> WaitForRowAsync(string sql, object parameter, CancellationToken cancellationToken) => replica is null
        ? new ReplicaLag(0, true)
        : await WaitFor(async () =>
        {
            await using var command = Source.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
            var found = await command.ExecuteScalarAsync(cancellationToken) is not null;
            return (await SourcePositionAsync(cancellationToken), found);
        }, cancellationToken);

    private async Task<ReplicaLag> WaitFor(Func<Task<(long Replayed, bool Reached)>> probe, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + options.Value.WaitFor;
        var pause = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            var (replayed, reached) = await probe();
            if (reached || DateTime.UtcNow >= deadline) return new ReplicaLag(replayed, reached);
            await Task.Delay(pause, cancellationToken);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 200));
        }
    }

    private Task<long> PositionAsync(NpgsqlDataSource source, CancellationToken cancellationToken) =>
        EventStore.EventStorePosition.LatestAsync(source, Schema, cancellationToken);
}

public static class ReadReplicaSetup
{
    public static IServiceCollection AddOutcomesReadReplica(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReadReplicaOptions>().BindConfiguration(ReadReplicaOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var read = configuration.GetConnectionString("OutcomesRead");
        services.AddSingleton(sp => new ReportReads(sp.GetRequiredService<NpgsqlDataSource>(),
            string.IsNullOrWhiteSpace(read) ? null : new NpgsqlDataSourceBuilder(read) { Name = "outcomes-read" }.Build(),
            sp.GetRequiredService<IDocumentStore>(), sp.GetRequiredService<IOptions<ReadReplicaOptions>>()));
        return services;
    }
}
