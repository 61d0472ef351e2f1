using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Outcomes.Domain.Courses;
using Outcomes.Service.Ingestion;
using RabbitMQ.Client;

namespace Outcomes.Service.Tests.Fixtures;

/// One running service with its own exchange, queues and schema, shared by a collection of tests
/// that keep apart by using fresh patient keys.
public sealed class IngestionFixture : IAsyncLifetime
{
    public static readonly JsonSerializerOptions ApiJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public ServicesFixture Services { get; } = new();
    public IsolatedNames Names { get; } = IsolatedNames.New();
    public OutcomesHost Host { get; private set; } = null!;

    /// An administrator's client that sees every clinic.
    public HttpClient Client { get; private set; } = null!;
    public AmqpPublisher Publisher { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Services.InitializeAsync();
        Host = new OutcomesHost(Services, Names);
        Client = Host.Start();
        Publisher = await AmqpPublisher.Connect(Services.RabbitMqUri, Names.Exchange);
    }

    public async Task DisposeAsync()
    {
        await Publisher.DisposeAsync();
        await Host.DisposeAsync();
        await Names.Delete(Services);
        await Services.DisposeAsync();
    }

    /// A client whose token carries one role and the given clinics.
    public HttpClient ClientFor(string role, params string[] clinics) => Host.ClientFor(role, clinics);

    public HttpClient ClientAs(string subject, string role, params string[] clinics) => Host.ClientAs(subject, role, clinics);

    public Task<PatientCourse?> Course(CourseFeed feed) => CourseOf(Client, feed);

    public static async Task<PatientCourse?> CourseOf(HttpClient client, CourseFeed feed)
    {
        var response = await client.GetAsync($"/api/v1/patients/{feed.ClinicId}/{feed.PatientKey}");
        // Only "not stored yet" is worth waiting for: a refused token would otherwise look like a slow pipeline.
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<PatientCourse>(ApiJson);
    }

    public async Task<PatientCourse> CourseWith(CourseFeed feed, int facts) =>
        (await Eventually.Until(() => Course(feed), c => c?.FactCount >= facts, $"{facts} facts for {feed.PatientKey}"))!;

    public async Task<IReadOnlyList<IngestionRejection>> Rejections(string? clinicId = null)
    {
        var url = "/api/v1/ingestion/rejections?limit=1000" + (clinicId is null ? "" : $"&clinicId={clinicId}");
        return (await Client.GetFromJsonAsync<List<IngestionRejection>>(url, ApiJson))!;
    }

    /// Events stored in a course's stream, counted in the event store itself (not the projection).
    public static async Task<int> StoredEventCount(OutcomesHost host, CourseFeed feed)
    {
        var store = host.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();
        var events = await session.Events.FetchStreamAsync($"{feed.ClinicId}/{feed.PatientKey}/1");
        return events.Count;
    }

    /// Takes a message out of the error queue whose body is exactly the given JSON, with its fault reason.
    public async Task<string?> TakeFromErrorQueue(string body)
    {
        var factory = new ConnectionFactory { Uri = Services.RabbitMqUri };
        await using var connection = await factory.CreateConnectionAsync();
        return await Eventually.Until(async () =>
        {
            // MassTransit declares the error queue with the first fault it moves; until then, keep asking.
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                await channel.QueueDeclarePassiveAsync(Names.Queue + "_error");
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                return null;
            }
            // Requeue what isn't ours; the queue is this fixture's alone, so it stays small.
            var seen = new List<ulong>();
            string? reason = null;
            while (await channel.BasicGetAsync(Names.Queue + "_error", autoAck: false) is { } message)
            {
                if (Encoding.UTF8.GetString(message.Body.Span) == body)
                {
                    var header = message.BasicProperties.Headers?["MT-Fault-Message"];
                    reason = header is byte[] bytes ? Encoding.UTF8.GetString(bytes) : header?.ToString() ?? "";
                    await channel.BasicAckAsync(message.DeliveryTag, false);
                    break;
                }
                seen.Add(message.DeliveryTag);
            }
            foreach (var tag in seen)
                await channel.BasicNackAsync(tag, false, requeue: true);
            return reason;
        }, r => r is not null, "the rejected message in the error queue");
    }
}

[CollectionDefinition(Name)]
public sealed class IngestionCollection : ICollectionFixture<IngestionFixture>
{
    public const string Name = "ingestion";
}
