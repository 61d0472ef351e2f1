using System.Globalization;
using Outcomes.Cli.Exports;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Exports;
using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Cli.Tests.Exports;

/// The committed sample export (analytics/examples/export-sample, a de-identified export of the synthetic demo
/// cohort) read the way `outcomes report --from-export` reads it: its time-to-response curves equal what
/// analytics/examples/time-to-response.R computes from the same subjects.csv with survival::survfit.
public class TimeToResponseExampleTests
{
    private const double Tolerance = 1e-9;
    private static readonly string Examples = Path.Combine(RReference.ValidationFolder, "..", "examples");
    private static readonly IReadOnlyDictionary<string, double?> Expected =
        RReference.Expected(Path.Combine("..", "examples", "time-to-response-expected.csv"));

    [Fact]
    public void ReportFromSampleExport_ByClinic_MatchesSurvfit()
    {
        var folder = Path.Combine(Examples, "export-sample");
        var manifest = ExportManifest.FromJson(File.ReadAllText(Path.Combine(folder, "manifest.json")));
        // By clinic: a stratum the release never generalises (demographics often are; baseline severity would need the
        // assessments, which the sample leaves out).
        var definition = manifest.Report! with { GroupBy = CohortDimension.Clinic };
        // Time to response reads subjects.csv only (eligible, response_event, response_day), so the sample carries no
        // assessments: an empty table with the dictionary's header stands in for them.
        var assessments = new ExportTable(ExportDatasets.Assessments.Columns.Select(c => c.Name).ToArray(), []);

        var report = ExportedCohort.Report(manifest, definition, OfflineReport.ReadCsv(Path.Combine(folder, "subjects.csv")), assessments);

        var groups = Expected.Keys.Where(k => k.EndsWith(".n", StringComparison.Ordinal)).Select(k => k[..^2]).ToList();
        Assert.Equal(groups, report.Groups.Where(g => g.Counts.Eligible > 0).Select(g => g.Group!).ToList());
        var compared = 0;
        foreach (var group in report.Groups.Where(g => g.Counts.Eligible > 0))
        {
            var days = group.TimeToResponse!.Days;
            var g = group.Group;
            Assert.Equal(Expected[$"{g}.n"], days.Curve.N);
            Assert.Equal(Expected[$"{g}.events"], days.Curve.Events);
            RReference.Close(Expected[$"{g}.median"], days.Curve.Median.Estimate, Tolerance, $"{g} median");
            RReference.Close(Expected[$"{g}.median.lower"], days.Curve.Median.Lower, Tolerance, $"{g} median lower");
            RReference.Close(Expected[$"{g}.median.upper"], days.Curve.Median.Upper, Tolerance, $"{g} median upper");
            // The report carries the whole curve; summary.survfit(times = t) reads it at the last step at or before t.
            foreach (var key in Expected.Keys.Where(k => k.StartsWith($"{g}.survival.", StringComparison.Ordinal)))
            {
                var t = key[$"{g}.survival.".Length..];
                var time = double.Parse(t, CultureInfo.InvariantCulture);
                var step = days.Curve.Table.LastOrDefault(r => r.Time <= time);
                var before = step == default;
                RReference.Close(Expected[key], before ? 1 : step.Survival, Tolerance, $"{g} survival at {t}");
                RReference.Close(Expected[$"{g}.lower.{t}"], before ? 1 : step.Lower, Tolerance, $"{g} lower at {t}");
                RReference.Close(Expected[$"{g}.upper.{t}"], before ? 1 : step.Upper, Tolerance, $"{g} upper at {t}");
                compared++;
            }
            Assert.Equal(definition.Options.AtRiskDays.Count, days.AtRisk.Count);
            foreach (var row in days.AtRisk)
                Assert.Equal(Expected[$"{g}.atRisk.{row.Time.ToString(CultureInfo.InvariantCulture)}"], row.NRisk);
        }
        Assert.True(compared >= 10, $"only {compared} survival estimates compared");
    }
}
