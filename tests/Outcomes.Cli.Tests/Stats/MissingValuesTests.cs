namespace Outcomes.Cli.Tests.Stats;

/// Non-finite cells as R reads them (issue 12, item 10): empty, NA and NaN are missing, and the row is left out
/// as R's na.omit does, counted in the JSON and named on standard error; Inf, -Inf and numbers beyond the double
/// range (1e400) are refused, as coxph refuses an infinite predictor. Neither ever turns a numeric column into a factor.
public class MissingValuesTests
{
    private static readonly string[] LungLines = File.ReadAllLines(StatsRun.Data("cox_lung.csv"));

    private static StatsRun Cox(string path, string covariates = "age,sex,ph.ecog") =>
        StatsRun.Of("cox", "--csv", path, "--time", "time", "--event", "status", "--covariates", covariates);

    /// cox_lung.csv with one more row inserted after data row 3, whose ph.ecog cell is <paramref name="ecog"/>.
    private static TempCsv LungWithExtraRow(string ecog) =>
        new(string.Join("\n", [.. LungLines[..4], $"150,1,60,2,{ecog}", .. LungLines[4..]]) + "\n");

    [Theory]
    [InlineData("NaN")]
    [InlineData("nan")]
    [InlineData("NA")]
    [InlineData("")]
    [InlineData(" NaN ")]
    public void MissingNumericCovariate_RowIsDroppedAndCounted_TheColumnStaysNumeric(string missing)
    {
        var reference = Cox(StatsRun.Data("cox_lung.csv"));
        using var file = LungWithExtraRow(missing);

        var run = Cox(file.Path);

        var report = run.Json();
        Assert.Equal(1, report.Integer("droppedRows"));
        Assert.Equal(LungLines.Length - 1, report.Integer("n"));
        // Same coefficients, named "ph.ecog" and not one dummy per level as a factor would give: the same fit as
        // without the row, which is the fit validated against R (coxph drops the row as missing).
        Assert.Equal(["age", "sex", "ph.ecog"],
            report.GetProperty("coefficients").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(reference.Json().GetProperty("coefficients").GetRawText(), report.GetProperty("coefficients").GetRawText());
        Assert.Contains("warning: 1 row of table.csv dropped for a missing value (empty, NA or NaN)", run.Error);
        Assert.Contains("row 4", run.Error);
    }

    [Fact]
    public void NoMissingValue_DroppedRowsIsZeroAndNothingIsWarned()
    {
        var run = Cox(StatsRun.Data("cox_lung.csv"));

        Assert.Equal(0, run.Json().Integer("droppedRows"));
        Assert.Equal("", run.Error);
    }

    [Theory]
    [InlineData("Inf")]
    [InlineData("-Inf")]
    [InlineData("inf")]
    [InlineData("Infinity")]
    [InlineData("-infinity")]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    public void InfiniteNumericCovariate_IsRefusedNamingColumnAndLine(string infinite)
    {
        using var file = LungWithExtraRow(infinite);

        var run = Cox(file.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Equal($"error: row 4, column 'ph.ecog': '{infinite}' is infinite: numbers must be finite (line 5 of table.csv)\n",
            run.Error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void NaNInAColumnOfLabels_IsALevelAsInR()
    {
        // R reads a column holding any text as character, where "NaN" is text like "iv" or "im".
        using var file = new TempCsv("time,status,arm\n5,1,iv\n6,0,NaN\n7,1,iv\n8,1,NaN\n9,0,im\n");

        var report = Cox(file.Path, "arm").Json();

        Assert.Equal(0, report.Integer("droppedRows"));
        // Levels in ordinal order: NaN (the reference), im, iv.
        Assert.Equal(["armim", "armiv"],
            report.GetProperty("coefficients").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
    }

    [Fact]
    public void MissingTimeOrEvent_RowIsDroppedFromKaplanMeier()
    {
        using var file = new TempCsv("time,status\n5,1\nNA,0\n7,\n9,1\nNaN,1\n");

        var run = StatsRun.Of("km", "--csv", file.Path, "--time", "time", "--event", "status");

        var report = run.Json();
        Assert.Equal(3, report.Integer("droppedRows"));
        Assert.Equal(2, report.GetProperty("groups")[0].Integer("n"));
        Assert.Contains("3 rows of table.csv dropped", run.Error);
        Assert.Contains("rows 2, 3, 5", run.Error);
    }

    [Fact]
    public void MissingGroup_RowIsDroppedFromLogRank_NotAGroupOfItsOwn()
    {
        using var file = new TempCsv("time,status,arm\n5,1,a\n6,1,b\n7,0,\n8,1,NA\n9,1,a\n3,0,b\n");

        var report = StatsRun.Of("logrank", "--csv", file.Path, "--time", "time", "--event", "status", "--group", "arm").Json();

        Assert.Equal(2, report.Integer("droppedRows"));
        Assert.Equal(["a", "b"], report.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("group").GetString()));
    }

    [Fact]
    public void MissingOutcome_RowIsDroppedFromTheMixedModel_SameFitAsWithoutIt()
    {
        var lines = File.ReadAllLines(StatsRun.Data("lmm_sleepstudy.csv"));
        var header = lines[0].Split(',');
        var subject = Array.IndexOf(header, "subject");
        var extra = string.Join(',', header.Select((_, i) => i == subject ? "308" : i == Array.IndexOf(header, "time") ? "10" : "NA"));
        using var file = new TempCsv(string.Join("\n", [.. lines, extra]) + "\n");
        string[] options = ["--subject", "subject", "--time", "time", "--outcome", "outcome"];

        var reference = StatsRun.Of(["lmm", "--csv", StatsRun.Data("lmm_sleepstudy.csv"), .. options]).Json();
        var report = StatsRun.Of(["lmm", "--csv", file.Path, .. options]).Json();

        Assert.Equal(1, report.Integer("droppedRows"));
        Assert.Equal(reference.GetProperty("fixedEffects").GetRawText(), report.GetProperty("fixedEffects").GetRawText());
    }

    [Fact]
    public void EveryRowMissing_IsAnInputError()
    {
        using var file = new TempCsv("time,status\nNA,1\n5,\n");

        var run = StatsRun.Of("km", "--csv", file.Path, "--time", "time", "--event", "status");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error: every data row of table.csv (2) has a missing value (empty, NA or NaN) in a named column", run.Error);
    }
}
