using System.Text;

namespace Outcomes.Cli.Tests.Stats;

/// Messages on standard error never echo binary (issue 12, item 10): control characters, bytes that are not UTF-8,
/// and invisible or direction-changing characters are shown escaped, and text quoted from the input is shortened,
/// so a terminal shows the problem and is never driven by the file.
public class PrintableMessagesTests
{
    private static StatsRun Km(string path, params string[] extra) =>
        StatsRun.Of(["km", "--csv", path, "--time", "time", "--event", "status", .. extra]);

    /// Nothing a terminal would act on or could not show: only printable text and the line ends.
    private static void AssertPrintable(string error)
    {
        foreach (var rune in error.EnumerateRunes())
        {
            if (rune.Value is '\n' or '\r') continue;
            var category = Rune.GetUnicodeCategory(rune);
            Assert.False(
                category is System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
                    or System.Globalization.UnicodeCategory.Surrogate or System.Globalization.UnicodeCategory.PrivateUse
                    or System.Globalization.UnicodeCategory.OtherNotAssigned
                    || rune == Rune.ReplacementChar,
                $"U+{rune.Value:X4} ({category}) written raw in: {error}");
        }
    }

    [Fact]
    public void BinaryFile_IsRefusedAsNotText_WithoutEchoingItsBytes()
    {
        // The start of an ELF executable: DEL, NUL, control bytes, bytes that are not UTF-8.
        byte[] bytes = [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x1B, 0x5B, 0x32, 0x4A, 0x89, 0xC3, 0x28, .. new byte[3000], 0x0A];
        using var file = new TempCsv(bytes, "program.bin");

        var run = Km(file.Path);

        Assert.Equal(2, run.ExitCode);
        AssertPrintable(run.Error);
        Assert.Contains("the first line of program.bin is not text", run.Error);
        Assert.True(run.Error.Length < 400, $"{run.Error.Length} characters: {run.Error}");
    }

    [Fact]
    public void ControlCharactersInABadCell_AreShownEscaped()
    {
        using var file = new TempCsv(Encoding.UTF8.GetBytes("time,status\n5,1\n6,\"\u001b[31m\u0000\u0007\"\n"));

        var run = Km(file.Path);

        Assert.Equal(2, run.ExitCode);
        AssertPrintable(run.Error);
        Assert.Contains(@"row 2, column 'status': '\x1B[31m\x00\x07' is not 0 or 1", run.Error);
    }

    [Fact]
    public void BytesThatAreNotUtf8_AreShownAsReplacementEscapes()
    {
        using var file = new TempCsv([.. Encoding.UTF8.GetBytes("time,status\n5,1\n6,"), 0xC3, 0x28, 0xFF, 0x0A]);

        var run = Km(file.Path);

        AssertPrintable(run.Error);
        Assert.Contains(@"'\uFFFD(\uFFFD' is not 0 or 1", run.Error);
    }

    [Fact]
    public void DirectionOverrideInALabel_IsShownEscaped()
    {
        using var file = new TempCsv("time,status,arm\n5,1,\u202Eevil\n6,0,\u202Eevil\n");

        var run = StatsRun.Of("logrank", "--csv", file.Path, "--time", "time", "--event", "status", "--group", "arm");

        Assert.Equal(2, run.ExitCode);
        AssertPrintable(run.Error);
        Assert.Contains(@"column 'arm' has one group ('\u202Eevil')", run.Error);
    }

    [Fact]
    public void LongCell_IsShortenedInTheMessage()
    {
        using var file = new TempCsv($"time,status\n5,1\n{new string('x', 100_000)},0\n");

        var run = Km(file.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (100,000 characters) is not a number", run.Error);
        Assert.True(run.Error.Length < 300, $"{run.Error.Length} characters");
    }

    [Fact]
    public void HeaderOfManyColumns_IsListedShortened()
    {
        using var file = new TempCsv(string.Join(',', Enumerable.Range(0, 5_000).Select(i => $"column{i}")) + "\n" +
            string.Join(',', Enumerable.Range(0, 5_000).Select(_ => "1")) + "\n");

        var run = Km(file.Path);

        Assert.Contains("column 'time' not found; columns are: column0, column1,", run.Error);
        Assert.Contains("(5,000 columns)", run.Error);
        Assert.True(run.Error.Length < 600, $"{run.Error.Length} characters");
    }

    [Fact]
    public void ControlCharactersInAnOption_AreShownEscaped()
    {
        var run = StatsRun.Of("km", "--csv", StatsRun.Data("km-aml.csv"), "--time", "time", "--event", "status", "--conf-level", "\u001b[2J");

        Assert.Equal(2, run.ExitCode);
        AssertPrintable(run.Error);
        Assert.Contains(@"got '\x1B[2J'", run.Error);
    }

    [Fact]
    public void PrintableTextInOtherScripts_IsShownAsWritten()
    {
        using var file = new TempCsv("time,status,arm\n5,1,Zürich 東京\n6,0,Zürich 東京\n");

        var run = StatsRun.Of("logrank", "--csv", file.Path, "--time", "time", "--event", "status", "--group", "arm");

        Assert.Contains("column 'arm' has one group ('Zürich 東京')", run.Error);
    }
}
