using DotNet.Testcontainers.Configurations;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Outcomes.Service.Tests.Fixtures;

/// Real PostgreSQL and RabbitMQ for the integration tests: the ones named by the environment
/// (scripts/test.sh starts private instances and exports them), else containers where a Docker
/// engine answers, else a clear failure.
public sealed class ServicesFixture : IAsyncLifetime
{
    public const string PostgresVariable = "ConnectionStrings__Outcomes";
    public const string RabbitMqVariable = "ConnectionStrings__RabbitMq";

    private PostgreSqlContainer? _postgres;
    private RabbitMqContainer? _rabbitMq;

    public string PostgresConnection { get; private set; } = "";
    public Uri RabbitMqUri { get; private set; } = null!;

    /// The broker's management HTTP API (guest/guest): from scripts/services.sh's environment, or the container's.
    public Uri? RabbitMqManagement { get; private set; }

    public const string ManagementVariable = "OUTCOMES_RABBITMQ_MANAGEMENT";

    public async Task InitializeAsync()
    {
        var postgres = Environment.GetEnvironmentVariable(PostgresVariable);
        var rabbitMq = Environment.GetEnvironmentVariable(RabbitMqVariable);
        if (!string.IsNullOrEmpty(postgres) && !string.IsNullOrEmpty(rabbitMq))
        {
            PostgresConnection = postgres;
            RabbitMqUri = new Uri(rabbitMq);
            var management = Environment.GetEnvironmentVariable(ManagementVariable);
            RabbitMqManagement = string.IsNullOrEmpty(management) ? null : new Uri(management);
            return;
        }
        if (TestcontainersSettings.OS.DockerEndpointAuthConfig is null)
            throw new InvalidOperationException(
                $"Integration tests need PostgreSQL and RabbitMQ. Run them with `scripts/test.sh` (it starts private instances), " +
                $"or set {PostgresVariable} and {RabbitMqVariable}, or provide a Docker engine for Testcontainers.");

        _postgres = new PostgreSqlBuilder("postgres:15").Build();
        _rabbitMq = new RabbitMqBuilder("rabbitmq:3.10-management").WithUsername("guest").WithPassword("guest")
            .WithPortBinding(ManagementPort, true).Build();
        await Task.WhenAll(_postgres.StartAsync(), _rabbitMq.StartAsync());
        PostgresConnection = _postgres.GetConnectionString();
        RabbitMqUri = new Uri(_rabbitMq.GetConnectionString());
        RabbitMqManagement = new Uri($"http://{_rabbitMq.Hostname}:{_rabbitMq.GetMappedPublicPort(ManagementPort)}");
    }

    private const int ManagementPort = 15672;

    public async Task DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
        if (_rabbitMq is not null) await _rabbitMq.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ServicesCollection : ICollectionFixture<ServicesFixture>
{
    public const string Name = "services";
}
