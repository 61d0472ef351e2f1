using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;
using Outcomes.Service.Tests.Ingestion;

namespace Outcomes.Service.Tests.Disclosure;

/// The budget of distinct protected cohorts per asker and release (Disclosure:ProtectedCohortsPerRelease), on a host
/// of its own whose budget is 3.
[Collection(IngestionCollection.Name)]
public sealed class ProtectedBudgetTests(IngestionFixture fixture)
{
    private static readonly string[] Bands = ["25-34", "35-44", "45-54"];

    private static JsonObject Cohort(string clinic, params string[] bands) => new()
    {
        ["name"] = "budget", ["version"] = "1", ["title"] = "budget",
        ["filter"] = new JsonObject { ["clinic"] = new JsonArray(clinic), ["ageBand"] = new JsonArray(bands.Select(b => (JsonNode)b).ToArray()) },
        ["options"] = new JsonObject { ["sections"] = new JsonArray("counts", "response") },
    };

    [Fact]
    public async Task ANewProtectedCohortBeyondTheBudget_429NamingTheSetting_OneAnsweredBeforeAnsweredAgain()
    {
        var names = IsolatedNames.New();
        try
        {
            await using var host = new OutcomesHost(fixture.Services, names,
                new Dictionary<string, string> { ["Disclosure:ProtectedCohortsPerRelease"] = "3" });
            var admin = host.Start();
            const string clinic = "clinic-budget";
            var lines = new List<string>();
            foreach (var band in Bands)
            {
                for (var i = 0; i < 6; i++) lines.AddRange(CourseFeed.ForNewPatient(clinic).Induction(band).Select(BulkUploadTests.Line));
            }
            Assert.Equal(0L, (await BulkUploadTests.Upload(admin, lines)).Rejected);
            Assert.True((await admin.PostAsync("/api/v1/releases", null)).IsSuccessStatusCode);
            JsonObject[] cohorts = [Cohort(clinic, Bands[0]), Cohort(clinic, Bands[1]), Cohort(clinic, Bands[2]), Cohort(clinic, Bands[0], Bands[1])];

            // Unprotected: the clinic's own tier answers every cohort, however many.
            var quality = host.ClientFor(AccessToken.Roles.Quality, clinic);
            foreach (var cohort in cohorts)
                Assert.Equal(HttpStatusCode.OK, (await quality.PostAsJsonAsync("/api/v1/reports/cohort", cohort)).StatusCode);

            // Protected: three distinct cohorts, then the fourth is refused naming the rule ...
            var researcher = host.ClientAs("budget-researcher", AccessToken.Roles.Researcher, clinic);
            var first = await (await researcher.PostAsJsonAsync("/api/v1/reports/cohort", cohorts[0])).Content.ReadAsStringAsync();
            for (var c = 1; c < 3; c++)
                Assert.Equal(HttpStatusCode.OK, (await researcher.PostAsJsonAsync("/api/v1/reports/cohort", cohorts[c])).StatusCode);
            var refused = await researcher.PostAsJsonAsync("/api/v1/reports/cohort", cohorts[3]);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Contains("Disclosure:ProtectedCohortsPerRelease", await refused.Content.ReadAsStringAsync());

            // ... while a cohort answered before is answered again, the same (the same courses, the same noise), and
            // another asker has a budget of its own.
            var again = await researcher.PostAsJsonAsync("/api/v1/reports/cohort", cohorts[0]);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal(first, await again.Content.ReadAsStringAsync());
            var other = host.ClientAs("another-researcher", AccessToken.Roles.Researcher, clinic);
            Assert.Equal(HttpStatusCode.OK, (await other.PostAsJsonAsync("/api/v1/reports/cohort", cohorts[3])).StatusCode);
        }
        finally
        {
            await names.Delete(fixture.Services);
        }
    }
}
