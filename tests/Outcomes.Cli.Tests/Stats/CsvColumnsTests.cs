namespace Outcomes.Cli.Tests.Stats;

/// Reading a researcher's CSV: what is accepted (RFC 4180), and every rejection, with exit code 2 and a message
/// naming the 1-based data row, the file line and the column.
public class CsvColumnsTests
{
    private static StatsRun Km(string path, params string[] extra) =>
        StatsRun.Of(["km", "--csv", path, "--time", "time", "--event", "status", .. extra]);

    private static void AssertInputError(StatsRun run, params string[] fragments)
    {
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.StartsWith("error: ", run.Error);
        foreach (var fragment in fragments) Assert.Contains(fragment, run.Error);
    }

    [Fact]
    public void QuotedFieldsWithCommasQuotesAndLineBreaks_AndByteOrderMark_AreReadAsRfc4180()
    {
        using var file = new TempCsv(
            "\"time\",status,group,\"note, free text\"\r\n" +
            "1,1,\"arm \"\"A\"\", IV\",\"two\r\nlines\"\r\n" +
            "2,0,\"arm \"\"A\"\", IV\",\r\n" +
            "3,1,B,\"x\"\r\n",
            byteOrderMark: true);

        var report = Km(file.Path, "--group", "group").Json();

        var groups = report.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(["B", "arm \"A\", IV"], groups.Select(g => g.GetProperty("group").GetString()));
        Assert.Equal([1, 2], groups.Select(g => g.Integer("n")).Order());
    }

    [Fact]
    public void OnlyTheNamedColumnsAreRead_OtherColumnsMayHoldAnything()
    {
        using var file = new TempCsv("time,status,comment\n5,1,\n7,0,NA\n9,1,not a number\n");

        var report = Km(file.Path).Json();

        Assert.Equal(3, report.GetProperty("groups")[0].Integer("n"));
    }

    [Fact]
    public void MissingFile_IsAnInputError()
    {
        var path = Path.Combine(Path.GetTempPath(), "outcomes-no-such-file.csv");

        AssertInputError(Km(path), $"file '{path}' not found");
    }

    [Fact]
    public void Directory_IsAnInputError()
    {
        AssertInputError(Km(Path.GetTempPath()), "is a directory");
    }

    [Fact]
    public void EmptyFile_IsAnInputError()
    {
        using var file = new TempCsv("");

        AssertInputError(Km(file.Path), "table.csv is empty", "header");
    }

    [Fact]
    public void HeaderWithoutRows_IsAnInputError()
    {
        using var file = new TempCsv("time,status\n");

        AssertInputError(Km(file.Path), "table.csv has a header but no data rows");
    }

    [Fact]
    public void FileWithoutHeader_IsAnInputErrorSayingTheFirstLineLooksLikeData()
    {
        using var file = new TempCsv("5,1\n7,0\n");

        AssertInputError(Km(file.Path), "column 'time' not found; columns are: 5, 1", "looks like data");
    }

    [Fact]
    public void MissingColumn_IsAnInputErrorListingTheColumns()
    {
        AssertInputError(StatsRun.Of("km", "--csv", StatsRun.Data("km-aml.csv"), "--time", "tme", "--event", "status"),
            "column 'tme' not found; columns are: time, status, group");
    }

    [Fact]
    public void SemicolonSeparatedFile_IsNotGuessed_TheColumnIsNotFound()
    {
        using var file = new TempCsv("time;status\n5;1\n");

        AssertInputError(Km(file.Path), "column 'time' not found; columns are: time;status");
    }

    [Fact]
    public void RepeatedColumnName_IsAnInputError()
    {
        using var file = new TempCsv("time,status,time\n5,1,6\n");

        AssertInputError(Km(file.Path), "column 'time' appears more than once");
    }

    [Fact]
    public void RowNumberAndLineNumberDiffer_AfterAQuotedLineBreak()
    {
        using var file = new TempCsv("time,status,note\n1,1,\"a\nb\"\n2,1,x\n3,yes,x\n");

        AssertInputError(Km(file.Path), "row 3, column 'status': 'yes' is not 0 or 1", "(line 5 of table.csv)");
    }

    [Theory]
    [InlineData("abc", "'abc' is not a number")]
    [InlineData("1,5", "'1,5' is not a number")]
    [InlineData("Infinity", "'Infinity' is infinite")]
    [InlineData("1e400", "'1e400' is infinite")]
    [InlineData("-3", "-3 is negative")]
    public void BadTime_NamesRowColumnAndLine(string cell, string problem)
    {
        using var file = new TempCsv($"time,status\n5,1\n\"{cell}\",0\n");

        AssertInputError(Km(file.Path), $"row 2, column 'time': {problem}", "(line 3 of table.csv)");
    }

    [Theory]
    [InlineData("2")]
    [InlineData("1.0")]
    [InlineData("TRUE")]
    [InlineData("-1")]
    public void EventOtherThanZeroOrOne_NamesRowColumnAndLine(string cell)
    {
        using var file = new TempCsv($"time,status\n5,1\n6,{cell}\n");

        AssertInputError(Km(file.Path), $"row 2, column 'status': '{cell}' is not 0 or 1", "(line 3 of table.csv)");
    }

    [Fact]
    public void RowWithTooFewFields_NamesRowAndLine()
    {
        using var file = new TempCsv("time,status,group\n5,1,a\n6,0\n");

        AssertInputError(Km(file.Path), "row 2 (line 3 of table.csv) has 2 fields, but the header has 3");
    }

    [Fact]
    public void UnclosedQuote_IsAnInputError()
    {
        using var file = new TempCsv("time,status\n5,1\n\"6,0\n7,1\n");

        AssertInputError(Km(file.Path), "table.csv is not valid CSV", "line 3");
    }

    [Fact]
    public void CoxFactorWithOneLevel_IsAnInputError()
    {
        using var file = new TempCsv("time,status,arm\n5,1,iv\n6,0,iv\n7,1,iv\n");

        AssertInputError(StatsRun.Of("cox", "--csv", file.Path, "--time", "time", "--event", "status", "--covariates", "arm"),
            "column 'arm' is a factor with one level ('iv')");
    }

    [Fact]
    public void LogRankWithOneGroup_IsAnInputError()
    {
        using var file = new TempCsv("time,status,arm\n5,1,iv\n6,0,iv\n");

        AssertInputError(StatsRun.Of("logrank", "--csv", file.Path, "--time", "time", "--event", "status", "--group", "arm"),
            "column 'arm' has one group ('iv')");
    }

    [Fact]
    public void LmmNonNumericOutcome_NamesRowColumnAndLine()
    {
        using var file = new TempCsv("subject,time,outcome\nA,0,20\nA,1,severe\n");

        AssertInputError(StatsRun.Of("lmm", "--csv", file.Path, "--subject", "subject", "--time", "time", "--outcome", "outcome"),
            "row 2, column 'outcome': 'severe' is not a number (line 3 of table.csv)");
    }

    [Fact]
    public void LmmProblem_IsReportedAsAnInputError()
    {
        using var file = new TempCsv("subject,time,outcome\nA,0,20\nA,1,18\nA,2,15\n");

        AssertInputError(StatsRun.Of("lmm", "--csv", file.Path, "--subject", "subject", "--time", "time", "--outcome", "outcome",
            "--random", "intercept"), "at least 2 subjects");
    }
}
