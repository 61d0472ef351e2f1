using System.Text.Json.Nodes;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Security;

[Collection(IngestionCollection.Name)]
public sealed class OpenApiDocumentTests(IngestionFixture fixture)
{
    private async Task<JsonNode> Document() =>
        JsonNode.Parse(await fixture.Host.CreateClient().GetStringAsync("/openapi/v1.json"))!;

    [Fact]
    public async Task Document_DeclaresBearerSchemeAndRequiresIt()
    {
        var document = await Document();

        var scheme = document["components"]!["securitySchemes"]!["Bearer"]!;
        Assert.Equal("http", (string)scheme["type"]!);
        Assert.Equal("bearer", (string)scheme["scheme"]!);
        Assert.Equal("JWT", (string)scheme["bearerFormat"]!);
        var requirement = Assert.Single(document["security"]!.AsArray())!.AsObject();
        Assert.Equal("Bearer", Assert.Single(requirement).Key);
    }

    [Fact]
    public async Task Document_DescribesEveryRateOfTheTableOfMeasures()
    {
        var document = await Document();

        var properties = document["components"]!["schemas"]!["PublishedResponse"]!["properties"]!.AsObject();
        Assert.Contains("inductionWindowDays", properties.Select(p => p.Key));
        Assert.Contains("responseEver", properties.Select(p => p.Key));
        Assert.Contains("responseBySession6", properties.Select(p => p.Key));
    }

    [Fact]
    public async Task Document_ListsApiOperationsWithoutTheScopeAsAParameter()
    {
        var document = await Document();

        var paths = document["paths"]!.AsObject();
        Assert.Contains("/api/v1/ingestion/rejections", paths.Select(p => p.Key));
        Assert.Contains("/api/v1/patients/{clinicId}/{patientKey}", paths.Select(p => p.Key));
        var parameters = paths.SelectMany(p => p.Value!.AsObject())
            .SelectMany(operation => operation.Value!["parameters"]?.AsArray() ?? [])
            .Select(parameter => (string)parameter!["name"]!).ToList();
        Assert.Contains("clinicId", parameters);
        Assert.DoesNotContain("scope", parameters);
    }

    [Fact]
    public async Task EveryApiOperation_DocumentsTheRefusals()
    {
        var document = await Document();

        var operations = document["paths"]!.AsObject().Where(p => p.Key.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(p => p.Value!.AsObject()).ToList();
        Assert.NotEmpty(operations);
        Assert.All(operations, operation =>
        {
            var responses = operation.Value!["responses"]!.AsObject();
            // Research exports answer with a zip, the audit's FHIR export with NDJSON; every other operation with JSON.
            var content = responses["200"]!["content"]!.AsObject();
            Assert.True(content.ContainsKey("application/json") || content.ContainsKey("application/zip") ||
                content.ContainsKey("application/fhir+ndjson"));
            Assert.True(responses.ContainsKey("401"));
            Assert.True(responses["403"]!["content"]!.AsObject().ContainsKey("application/problem+json"));
        });
    }
}
