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
    public void Differences_StateSuppressedAndTheCohortsGeneralisedSubjects_AndTheMeasuresThatMove()
    {
        var manifest = Manifest();
        var withSuppressed = manifest with
        {
            Deidentification = manifest.Deidentification with { Export = manifest.Deidentification.Export with { SuppressedInScope = 7 } },
        };

        var lines = OfflineReport.Differences(withSuppressed, cohortSubjects: 90, generalisedInCohort: 31).ToList();

        Assert.Contains(lines, l => l.Contains("not the service's data", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("suppressed 7 subjects of your clinics", StringComparison.Ordinal)
            && l.Contains("up to that many", StringComparison.Ordinal) && l.Contains("every count, rate, curve and mean", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("31 of this cohort's 90 subjects carry generalised values", StringComparison.Ordinal)
            && l.Contains("sex ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("weekly PHQ-9 means", StringComparison.Ordinal));
        var clean = OfflineReport.Differences(manifest, cohortSubjects: 90, generalisedInCohort: 0).ToList();
        Assert.DoesNotContain(clean, l => l.Contains("suppressed", StringComparison.Ordinal));
        Assert.DoesNotContain(clean, l => l.Contains("generalised values", StringComparison.Ordinal));
    }

    [Fact]
    public void CohortCounts_AreTheCohortsSubjects_NotTheWholeExports()
    {
        // The export holds its report's every subject; a definition for one clinic asks for fewer (the sample's codes read
        // as clinic ids here: every attribute a filter could name is generalised in it). Its generalised subjects are
        // counted among those, independently here from the released labels.
        var manifest = Manifest() with { ClinicIdentifiers = ExportManifest.Ids };
        var sample = OfflineReport.ReadCsv(Path.Combine(Sample, "subjects.csv"));
        var clinic = sample.Header.ToList().IndexOf("clinic");
        var subjects = sample with
        {
            Rows = [.. sample.Rows.Select(r => (IReadOnlyList<string?>)[.. r.Select((cell, i) => i == clinic ? cell?.ToLowerInvariant() : cell)])],
        };
        var assessments = new ExportTable(ExportDatasets.Assessments.Columns.Select(c => c.Name).ToArray(), []);
        var oneClinic = manifest.Report! with
        {
            GroupBy = null, Filter = new CohortFilter { Clinic = ["c02"] }, Options = manifest.Report!.Options with { CoxAdjustedForBaseline = false },
        };
        string Cell(IReadOnlyList<string?> row, string column) => row[subjects.Header.ToList().IndexOf(column)] ?? "";
        var fineAges = CohortDimensions.EnumLabels<Outcomes.Domain.Courses.AgeBand>();
        var fineModalities = CohortDimensions.EnumLabels<Outcomes.Domain.Courses.Modality>();
        bool Generalised(IReadOnlyList<string?> row) =>
            !fineAges.Contains(Cell(row, "age_band")) || !fineModalities.Contains(Cell(row, "modality"))
            || new[] { "sex", "diagnosis_group", "prior_failed_trials" }.Any(c => Cell(row, c) == Release.Withheld)
            || new[] { "enrolment_year", "first_session_year" }.Any(c => Cell(row, c).Length > 4 || Cell(row, c) == Release.Withheld);
        var clinicRows = subjects.Rows.Where(r => Cell(r, "clinic") == "c02").ToList();

        var released = ExportedCohort.Read(manifest, oneClinic, subjects, assessments);
        var (inCohort, generalised) = released.InCohort(oneClinic);

        Assert.Equal(clinicRows.Count, inCohort);
        Assert.InRange(inCohort, 1, manifest.Deidentification.Export.Subjects - 1);
        Assert.Equal(clinicRows.Count(Generalised), generalised);
        Assert.InRange(generalised, 1, manifest.Deidentification.Export.GeneralisedSubjects - 1);
        Assert.Equal(inCohort, ExportedCohort.Report(manifest, oneClinic, released).Overall.Counts.Enrolled);
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
