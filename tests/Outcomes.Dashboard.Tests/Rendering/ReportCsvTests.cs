using System.Text.Json;
using System.Text.Json.Nodes;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Disclosure;
using Outcomes.Domain.Tests.Cohorts;
using Outcomes.Service.Dashboard;

namespace Outcomes.Dashboard.Tests.Rendering;

/// The CSV download states what the JSON states about disclosure: tier, position, release and every perturbation
/// parameter, on each row, and stays a plain rectangular CSV.
public sealed class ReportCsvTests
{
    private static readonly ReleasePoint Release = new(7, 4242, new DateTimeOffset(2029, 2, 28, 23, 0, 0, TimeSpan.Zero));

    private static PublishedCohortReport Protected() => ReportDisclosure.Protected(CohortTestData.Random(200, seed: 4, modalities: 2),
        CohortTestData.Definition(CohortDimension.Modality), CohortTestData.Provenance,
        new RecordKeys(Enumerable.Range(1, 32).Select(i => (byte)(i * 3)).ToArray()), new PerturbationParameters(), Release);

    /// Fields of one CSV line (RFC 4180 quoting).
    private static List<string> Fields(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }

    [Fact]
    public void ProtectedReport_EveryRowStatesTierReleaseAndTheJsonsPerturbationParameters()
    {
        var report = Protected();

        var lines = ReportCsv.Write(report).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        var header = Fields(lines[0]);
        Assert.Equal(["tier", "event_store_position", "release_id", "release_cut_at", "perturbation"], header[^5..]);
        var json = JsonNode.Parse(JsonSerializer.Serialize(report, new JsonSerializerOptions(JsonSerializerDefaults.Web)))!["disclosure"]!["perturbation"]!.AsObject();
        Assert.True(lines.Length > 10);
        foreach (var line in lines.Skip(1))
        {
            var row = Fields(line);
            Assert.Equal(header.Count, row.Count);
            Assert.Equal(["protected", "4242", "7", "2029-02-28T23:00:00.0000000+00:00"], row[^5..^1]);
            var stated = row[^1].Split("; ").Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
            // Every parameter the JSON states, by the JSON's name and value.
            Assert.Equal(json.Select(p => p.Key).Order(StringComparer.Ordinal), stated.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(json["maximumCountNoise"]!.ToString(), stated["maximumCountNoise"]);
            Assert.Equal(json["timeToResponseGridDays"]!.ToString(), stated["timeToResponseGridDays"]);
            Assert.Equal(json["method"]!.ToString(), stated["method"]);
        }
    }

    [Fact]
    public void OwnClinicsReport_StatesItsTier_NoReleaseNoPerturbation()
    {
        var report = ReportDisclosure.OwnClinics(CohortTestData.Random(50, seed: 4), CohortTestData.Definition(), CohortTestData.Provenance);

        var lines = ReportCsv.Write(report).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.All(lines.Skip(1), line => Assert.Equal(["own-clinics", "4242", "", "", ""], Fields(line)[^5..]));
    }
}
