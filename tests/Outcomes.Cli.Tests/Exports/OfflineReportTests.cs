using Outcomes.Cli.Exports;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Exports;
using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Cli.Tests.Exports;

/// `outcomes report --from-export` says what it cannot reproduce: the subjects the release suppressed, the values it
/// generalised, the shifted days; and refuses what the released microdata cannot answer.
public class OfflineReportTests
{
    private static readonly string Sample = Path.Combine(RReference.ValidationFolder, "..", "examples", "export-sample");

    private static ExportManifest Manifest() => ExportManifest.FromJson(File.ReadAllText(Path.Combine(Sample, "manifest.json")));

    [Fact]
    public void Differences_StateSuppressedAndGeneralisedSubjects_AndTheMeasuresThatMove()
    {
        var manifest = Manifest();
        var withSuppressed = manifest with
        {
            Deidentification = manifest.Deidentification with { Export = manifest.Deidentification.Export with { SuppressedInScope = 7 } },
        };

        var lines = OfflineReport.Differences(withSuppressed).ToList();

        Assert.Contains(lines, l => l.Contains("not the service's data", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("suppressed 7 subjects of your clinics", StringComparison.Ordinal)
            && l.Contains("every count, rate, curve and mean", StringComparison.Ordinal));
        var export = manifest.Deidentification.Export;
        Assert.Contains(lines, l => l.Contains($"{export.GeneralisedSubjects} of the {export.Subjects} exported subjects carry generalised values", StringComparison.Ordinal)
            && l.Contains("sex ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("weekly PHQ-9 means", StringComparison.Ordinal));
        Assert.DoesNotContain(OfflineReport.Differences(manifest), l => l.Contains("suppressed", StringComparison.Ordinal));
    }

    [Fact]
    public void ExportOfTheFirstFormat_IsRefused_NotReportedAsIfReleased()
    {
        var folder = Directory.CreateTempSubdirectory("outcomes-v1-export").FullName;
        try
        {
            var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Sample, "manifest.json")))!.AsObject();
            manifest["formatVersion"] = "outcomes-export-v1";
            manifest.Remove("release");
            File.WriteAllText(Path.Combine(folder, "manifest.json"), manifest.ToJsonString());

            var e = Assert.Throws<ExportReadException>(() => OfflineReport.FromDirectory(folder, null, TextWriter.Null));

            Assert.Contains("format outcomes-export-v1", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Theory]
    [InlineData(CohortDimension.Sex, "sex")]
    [InlineData(CohortDimension.AgeBand, "age-band")]
    [InlineData(CohortDimension.DiagnosisGroup, "diagnosis-group")]
    public void GroupingOnAColumnTheReleaseGeneralised_IsRefused(CohortDimension dimension, string name)
    {
        var manifest = Manifest();
        var assessments = new ExportTable(ExportDatasets.Assessments.Columns.Select(c => c.Name).ToArray(), []);

        var e = Assert.Throws<ExportReadException>(() => ExportedCohort.Report(manifest, manifest.Report! with { GroupBy = dimension },
            OfflineReport.ReadCsv(Path.Combine(Sample, "subjects.csv")), assessments));

        Assert.Contains($"generalised {name}", e.Message, StringComparison.Ordinal);
    }
}
