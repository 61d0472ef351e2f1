using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Outcomes.Domain.Courses;
using Outcomes.Service.Disclosure;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Disclosure;

/// A release stores each course's record key as it is cut, computed by PostgreSQL (sha256 over HMAC's padded keys), so
/// that a protected report reads the keys instead of deriving 300,000 of them: they must be the keys RecordKeys derives.
[Collection(IngestionCollection.Name)]
public sealed class ReleaseRecordKeyTests(IngestionFixture fixture)
{
    [Fact]
    public async Task ReleaseCut_StoresEveryCoursesRecordKey_AsRecordKeysDerivesIt()
    {
        var clinic = "clinic-k" + Guid.NewGuid().ToString("N")[..8];
        var feeds = Enumerable.Range(0, 12).Select(_ => CourseFeed.ForNewPatient(clinic)).ToList();
        await fixture.Publisher.PublishAll(feeds.SelectMany(f => f.Induction()).ToList());
        foreach (var feed in feeds) await fixture.CourseWith(feed, feed.Induction().Count);

        var cut = await fixture.Client.PostAsync("/api/v1/releases", null);
        Assert.True(cut.IsSuccessStatusCode, await cut.Content.ReadAsStringAsync());

        var stored = new List<(string Course, short? Key)>();
        await using (var database = NpgsqlDataSource.Create(fixture.Services.PostgresConnection))
        await using (var select = database.CreateCommand(
            $"select course_key, record_key from {fixture.Names.Schema}.{Releases.CoursesTable} " +
            $"where clinic_id = $1 and release_id = (select max(id) from {fixture.Names.Schema}.{Releases.ReleasesTable})"))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = clinic });
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync()) stored.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt16(1)));
        }

        var keys = await fixture.Host.Services.GetRequiredService<Releases>().RecordKeysAsync(CancellationToken.None);
        Assert.Equal(feeds.Count, stored.Count);
        Assert.All(stored, row => Assert.Equal(keys.Of(CourseKey.Parse(row.Course)), (int)row.Key!.Value));
        // Twelve courses with one key would say nothing: the keys spread over 0..255.
        Assert.True(stored.Select(s => s.Key).Distinct().Count() > 6, string.Join(", ", stored.Select(s => s.Key)));
    }
}
