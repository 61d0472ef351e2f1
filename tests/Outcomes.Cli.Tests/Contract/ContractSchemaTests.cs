using System.Text.Json.Nodes;
using Outcomes.Contracts;

namespace Outcomes.Cli.Tests.Contract;

public sealed class ContractSchemaTests
{
    private static string CommittedFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Outcomes.sln")))
            dir = dir.Parent;
        return Path.Combine(dir!.FullName, "docs", "contract", "v1");
    }

    [Fact]
    public void CommittedSchemas_EqualGeneratedFromContract()
    {
        var generated = WireSchemas.Generate();
        var committed = Directory.GetFiles(CommittedFolder(), "*.schema.json").Select(Path.GetFileName).Order().ToArray();

        Assert.Equal(generated.Keys.Select(k => $"{k}.schema.json").Order().ToArray(), committed);
        foreach (var (name, text) in generated)
            Assert.True(text == File.ReadAllText(Path.Combine(CommittedFolder(), $"{name}.schema.json")),
                $"docs/contract/v1/{name}.schema.json is stale: run `dotnet run --project src/Outcomes.Cli -- contract schemas`");
    }

    [Fact]
    public void Phq9Schema_StatesItemAndTotalRanges()
    {
        var schema = JsonNode.Parse(WireSchemas.Generate()["phq9-completed"])!;
        var items = schema["properties"]!["items"]!;

        Assert.Equal(9, (int)items["minItems"]!);
        Assert.Equal(9, (int)items["maxItems"]!);
        Assert.Equal(3, (double)items["items"]!["maximum"]!);
        Assert.Equal(27, (double)schema["properties"]!["total"]!["maximum"]!);
        Assert.False((bool)schema["additionalProperties"]!);
        Assert.Equal(["eventId", "clinicId", "patientKey", "occurredAt"], schema["required"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public void EnrolmentSchema_ListsEveryEnumerationValue()
    {
        var schema = JsonNode.Parse(WireSchemas.Generate()["patient-enrolled"])!;

        Assert.Contains("90+", schema["properties"]!["ageBand"]!["enum"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(5, schema["properties"]!["modality"]!["enum"]!.AsArray().Count);
    }
}
