using System.Text.Json;
using Outcomes.Domain.Exports;
using static Outcomes.Domain.Tests.Cohorts.CohortTestData;

namespace Outcomes.Domain.Tests.Exports;

public class DataDictionaryTests
{
    [Fact]
    public void EveryRowWritten_MatchesItsDictionary()
    {
        // TableWriter checks each cell's type, emptiness and allowed values against the column it lands in.
        var export = TestExport.Of(RandomCourses(200, 41), TestExport.Scope());

        Assert.Equal(200, export.Subjects.Rows.Count);
        Assert.True(export.Assessments.Rows.Count > 200);
        Assert.True(export.Sessions.Rows.Count > 200);
    }

    [Fact]
    public void Json_ListsEveryColumnOfEveryDataset()
    {
        using var json = JsonDocument.Parse(DataDictionary.ToJson(ExportDatasets.All));

        var listed = json.RootElement.EnumerateArray()
            .SelectMany(d => d.GetProperty("columns").EnumerateArray().Select(c => $"{d.GetProperty("name").GetString()}.{c.GetProperty("name").GetString()}"));
        var expected = ExportDatasets.All.SelectMany(d => d.Columns.Select(c => $"{d.Name}.{c.Name}"));
        Assert.Equal(expected, listed);
        Assert.All(json.RootElement.EnumerateArray().SelectMany(d => d.GetProperty("columns").EnumerateArray()),
            c => Assert.False(string.IsNullOrWhiteSpace(c.GetProperty("meaning").GetString())));
    }

    [Fact]
    public void Markdown_HasARowPerColumn()
    {
        var markdown = DataDictionary.ToMarkdown(ExportDatasets.All, "csv");

        foreach (var dataset in ExportDatasets.All)
        {
            Assert.Contains($"## {dataset.Name}.csv", markdown);
            foreach (var column in dataset.Columns) Assert.Contains($"| {column.Name} |", markdown);
        }
    }

    [Fact]
    public void ColumnNames_AreUniqueWithinADataset() =>
        Assert.All(ExportDatasets.All, d => Assert.Equal(d.Columns.Count, d.Columns.Select(c => c.Name).Distinct().Count()));

    [Fact]
    public void NoColumn_CarriesADateOrAPatientKey()
    {
        var export = TestExport.Of(RandomCourses(50, 42), TestExport.Scope());
        var cells = export.Subjects.Rows.Concat(export.Assessments.Rows).Concat(export.Sessions.Rows).SelectMany(r => r).OfType<string>();

        Assert.DoesNotContain(cells, c => c.StartsWith('p') && c.Length == 6);
        Assert.DoesNotContain(cells, c => System.Text.RegularExpressions.Regex.IsMatch(c, @"^\d{4}-\d{2}-\d{2}"));
    }
}
