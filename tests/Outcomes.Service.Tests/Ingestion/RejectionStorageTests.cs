using System.Net.Http.Json;
using Npgsql;
using Outcomes.Contracts;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Ingestion;

/// Issue 12 point 8: 200,000 "{}" lines wrote 200,000 rejection rows (109 MB), and lines without a clinic were
/// invisible to their uploader. Own host with a small cap, so the bound shows at a test's size.
[Collection(PoisonCollection.Name)]
public sealed class RejectionStorageTests(ServicesFixture services) : IAsyncLifetime
{
    private const int Kept = 50;
    private readonly IsolatedNames _names = IsolatedNames.New();
    private OutcomesHost _host = null!;

    public Task InitializeAsync()
    {
        _host = new OutcomesHost(services, _names, new Dictionary<string, string> { ["Ingestion:RejectionsKept"] = Kept.ToString() });
        _host.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _names.Delete(services);
    }

    [Fact]
    public async Task CheapBadUpload_RecordsBoundedPerUploader_EveryLineCountedPerRule_VisibleToTheUploader()
    {
        const int lines = 3_000;
        var uploader = _host.ClientFor(AccessToken.Roles.Integration, "cap-a", "cap-b");

        // Twice: the second upload's records replace the first's oldest instead of adding to them.
        var summaries = new List<BulkUploadSummary>();
        for (var upload = 0; upload < 2; upload++)
            summaries.Add(await BulkUploadTests.Upload(uploader, Enumerable.Repeat("{}", lines)));

        Assert.All(summaries, s => Assert.Equal(lines, s.Rejected));
        Assert.All(summaries, s => Assert.Equal(lines, Assert.Single(s.RejectedByRule!).Value));
        // The cap per uploader, plus at most a tenth before the next pruning.
        var stored = await StoredRejections();
        Assert.InRange(stored, Kept, Kept + Kept / 10 + Kept);
        var tallies = await uploader.GetFromJsonAsync<List<RejectionTally>>("/api/v1/ingestion/rejections/counts", IngestionFixture.ApiJson);
        Assert.Equal(2 * lines, tallies!.Where(t => t.Field == "routingKey").Sum(t => t.Count));
        // The lines named no clinic: its uploader still lists them, by its upload id; another integration does not.
        var own = await uploader.GetFromJsonAsync<List<IngestionRejection>>(
            $"/api/v1/ingestion/rejections?limit=1000&uploadId={summaries[1].UploadId}", IngestionFixture.ApiJson);
        Assert.NotEmpty(own!);
        Assert.All(own!, r => Assert.Equal(summaries[1].UploadId, r.UploadId));
        var other = _host.ClientWith(new Outcomes.Cli.Tokens.TokenRequest { Subject = "another-engine", Roles = [AccessToken.Roles.Integration], Clinics = ["cap-a"] }
            .Issue(_host.SigningKey, DateTimeOffset.UtcNow));
        Assert.Empty((await other.GetFromJsonAsync<List<IngestionRejection>>(
            $"/api/v1/ingestion/rejections?limit=1000&uploadId={summaries[1].UploadId}", IngestionFixture.ApiJson))!);
    }

    private async Task<long> StoredRejections()
    {
        await using var database = NpgsqlDataSource.Create(services.PostgresConnection);
        await using var command = database.CreateCommand($"select count(*) from {_names.Schema}.mt_doc_ingestionrejection");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
