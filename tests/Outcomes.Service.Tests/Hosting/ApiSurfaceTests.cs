using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Hosting;

/// What an integrator meets first: the OpenAPI document, and the answer to a malformed query parameter.
[Collection(IngestionCollection.Name)]
public sealed class ApiSurfaceTests(IngestionFixture fixture)
{
    private async Task<JsonNode> Document() =>
        JsonNode.Parse(await fixture.Host.CreateClient().GetStringAsync("/openapi/v1.json"))!;

    [Theory]
    [InlineData("/api/v1/reports/overview?asOfPosition=abc")]
    [InlineData("/api/v1/reports/overview?asOfPosition=1.5")]
    [InlineData("/api/v1/reports/overview?asOfPosition=99999999999999999999")]
    public async Task MalformedAsOfPosition_400NamingTheParameter_NoStackTrace(string url)
    {
        var response = await fixture.ClientFor(AccessToken.Roles.Quality, "clinic-a").GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("asOfPosition", body);
        Assert.DoesNotContain("   at ", body);
        Assert.DoesNotContain("Exception", body);
    }

    [Fact]
    public async Task Document_HasARealTitleAndDescription()
    {
        var info = (await Document())["info"]!;

        Assert.Equal("Outcomes API", (string)info["title"]!);
        Assert.Contains("ketamine", (string)info["description"]!);
    }

    [Fact]
    public async Task Parameters_DescribedWithExamples_AndNumbersTypedAsNumbers()
    {
        var operation = (await Document())["paths"]!["/api/v1/reports/{name}"]!["get"]!;
        var parameters = operation["parameters"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => p!);

        foreach (var name in new[] { "name", "asOfPosition", "clinicId", "coverage" })
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)parameters[name]["description"]), $"{name} has no description");
            Assert.NotNull(parameters[name]["example"]);
        }
        Assert.Equal("integer", (string)parameters["asOfPosition"]["schema"]!["type"]!);
        Assert.Equal(System.Text.Json.JsonValueKind.Number, parameters["asOfPosition"]["example"]!.GetValueKind());
    }

    [Fact]
    public async Task EveryApiParameter_IsDescribed()
    {
        var undescribed = (await Document())["paths"]!.AsObject().Where(p => p.Key.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(p => p.Value!.AsObject().SelectMany(o => (o.Value!["parameters"]?.AsArray() ?? [])
                .Where(parameter => string.IsNullOrWhiteSpace((string?)parameter!["description"]))
                .Select(parameter => $"{o.Key} {p.Key}: {(string)parameter!["name"]!}")))
            .ToList();

        Assert.Empty(undescribed);
    }

    [Fact]
    public async Task Schemas_NumbersAreNumbers_AndPropertiesAreDescribed()
    {
        var schemas = (await Document())["components"]!["schemas"]!.AsObject();

        // Not ["integer", "string"] with a pattern: a number is never sent as a string.
        var typed = schemas.SelectMany(s => s.Value!["properties"]?.AsObject() ?? [])
            .Where(p => p.Value!["type"] is JsonArray types && types.Any(t => (string?)t is "integer" or "number") && types.Any(t => (string?)t == "string"))
            .Select(p => p.Key).ToList();
        Assert.Empty(typed);
        var cell = schemas["Cell"]!["properties"]!.AsObject();
        Assert.False(string.IsNullOrWhiteSpace((string?)cell["value"]!["description"]));
        var provenance = schemas["ReportProvenance"]!["properties"]!.AsObject();
        Assert.False(string.IsNullOrWhiteSpace((string?)provenance["eventStorePosition"]!["description"]));
    }

    [Theory]
    [InlineData("""{"filter":{"modalities":["iv-ketamine"]},"format":"csv"}""", "filter.modalities")]
    [InlineData("""{"report":"overview","format":"csv","fromat":"parquet"}""", "fromat")]
    public async Task Export_UnknownProperty_RefusedNamingIt_NotIgnored(string body, string field)
    {
        var client = fixture.ClientFor(AccessToken.Roles.Researcher, "clinic-u" + Guid.NewGuid().ToString("N")[..8]);

        var response = await client.PostAsync("/api/v1/exports", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith($"{field}: is not a", (string)problem!["title"]!);
    }
}
