using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Outcomes.Cli.Tokens;
using Outcomes.Contracts;
using RabbitMQ.Client;

namespace Outcomes.Service.Tests.Fixtures;

/// Names that keep one test class's broker topology and database schema apart from every other's.
public sealed record IsolatedNames(string Exchange, string Queue, string EnvelopeQueue, string Schema)
{
    /// Where this host publishes safety signals (the service's default is outcomes.clinic-signals).
    public string SignalsExchange => Exchange + ".signals";

    public static IsolatedNames New()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        return new($"outcomes.test-{id}", $"{WireContract.IngestionQueue}-{id}", $"{WireContract.EnvelopeQueue}-{id}", $"test_{id}");
    }

    /// Deletes the queues (and their error queues), the exchange and the event-store schema: publishing fans out
    /// to every queue ever bound, so leftovers would collect messages for ever, and schemas would pile up in a
    /// database shared by every run.
    public async Task Delete(ServicesFixture services)
    {
        await using (var database = Npgsql.NpgsqlDataSource.Create(services.PostgresConnection))
        await using (var drop = database.CreateCommand($"drop schema if exists {Schema} cascade"))
            await drop.ExecuteNonQueryAsync();
        var factory = new ConnectionFactory { Uri = services.RabbitMqUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in new[] { Queue, EnvelopeQueue })
        foreach (var suffix in new[] { "", "_error", "_skipped" })
            await channel.QueueDeleteAsync(queue + suffix);
        await channel.ExchangeDeleteAsync(Exchange);
        await channel.ExchangeDeleteAsync(SignalsExchange);
        foreach (var queue in new[] { Queue, EnvelopeQueue })
        foreach (var suffix in new[] { "", "_error", "_skipped" })
            await channel.ExchangeDeleteAsync(queue + suffix);
    }
}

/// The real service, in process, over the real broker and database.
public sealed class OutcomesHost : WebApplicationFactory<Program>
{
    private readonly ServicesFixture _services;
    private readonly IsolatedNames _names;
    private readonly IReadOnlyDictionary<string, string> _settings;

    public OutcomesHost(ServicesFixture services, IsolatedNames names, IReadOnlyDictionary<string, string>? settings = null)
    {
        _services = services;
        _names = names;
        _settings = settings ?? new Dictionary<string, string>();
    }

    /// This host's signing key: random, so that no test leans on the published development key.
    public string SigningKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Auth:SigningKey", SigningKey);
        builder.UseSetting("ConnectionStrings:Outcomes", _services.PostgresConnection);
        builder.UseSetting("ConnectionStrings:RabbitMq", _services.RabbitMqUri.ToString());
        builder.UseSetting("EventStore:Schema", _names.Schema);
        builder.UseSetting("Ingestion:Exchange", _names.Exchange);
        builder.UseSetting("Ingestion:Queue", _names.Queue);
        builder.UseSetting("Ingestion:EnvelopeQueue", _names.EnvelopeQueue);
        builder.UseSetting("Safety:Exchange", _names.SignalsExchange);
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
        if (Environment.GetEnvironmentVariable("OUTCOMES_TEST_LOG_DIR") is { Length: > 0 } logs)
        {
            Directory.CreateDirectory(logs);
            builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Debug).AddFilter("Microsoft", LogLevel.Information).AddFilter("MassTransit", LogLevel.Information).AddFilter("Marten", LogLevel.Information).AddFilter("Npgsql", LogLevel.Information).AddProvider(
                new FileLoggerProvider(Path.Combine(logs, $"{_names.Queue}-{Guid.NewGuid():N}.log"))));
        }
    }

    /// Starts the host (and with it the bus and its topology) and returns an administrator's client
    /// that sees every clinic.
    public HttpClient Start() => ClientFor(AccessToken.Roles.Admin, AccessToken.AllClinics);

    /// A client whose token, signed with this host's key, carries one role and the given clinics.
    public HttpClient ClientFor(string role, params string[] clinics) => ClientWith(Token([role], clinics));

    /// The same for a named subject (whose protected questions the differencing lock-out remembers apart).
    public HttpClient ClientAs(string subject, string role, params string[] clinics) =>
        ClientWith(new TokenRequest { Subject = subject, Roles = [role], Clinics = clinics }.Issue(SigningKey, DateTimeOffset.UtcNow));

    /// A client that sends the given bearer token, whatever it is.
    public HttpClient ClientWith(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// A token as `outcomes token` issues it, by default signed with this host's key and issued now.
    public string Token(string[] roles, string[] clinics, DateTimeOffset? issuedAt = null, string? signingKey = null) =>
        new TokenRequest { Subject = "test-" + string.Join('-', roles), Roles = roles, Clinics = clinics }
            .Issue(signingKey ?? SigningKey, issuedAt ?? DateTimeOffset.UtcNow);
}
