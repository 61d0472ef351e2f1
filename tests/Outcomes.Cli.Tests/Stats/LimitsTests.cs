using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Outcomes.Cli.Tests.Stats;

/// Group and level counts are bounded (issue 12, item 10: a 200,000-group log-rank and a 200,000-level Cox factor
/// ended in OutOfMemoryException; 50,000 groups ran ~10 minutes reaching 19.6 GB). A column with too many values is
/// refused with a clear error while its values are being counted: quickly, and allocating little more than the file.
public class LimitsTests
{
    /// A CSV of `rows` subjects: time = i (all distinct), every third censored, column `key` = `keyOf(i)`.
    private static TempCsv Table(int rows, Func<int, string> keyOf)
    {
        var text = new StringBuilder("time,status,key\n");
        for (var i = 0; i < rows; i++)
            text.Append(CultureInfo.InvariantCulture, $"{i + 1},{(i % 3 == 0 ? 0 : 1)},{keyOf(i)}\n");
        return new TempCsv(text.ToString());
    }

    private static (StatsRun Run, TimeSpan Elapsed, long Allocated) Measure(params string[] args)
    {
        // The command runs synchronously on this thread, so the thread's allocations are the command's.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var run = StatsRun.Of(args);
        return (run, clock.Elapsed, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void AssertRefusedQuickly((StatsRun Run, TimeSpan Elapsed, long Allocated) result, string message)
    {
        Assert.Equal(2, result.Run.ExitCode);
        Assert.Equal("", result.Run.Output);
        Assert.Contains(message, result.Run.Error);
        // Reading 200,000 rows allocates ~100 MB of cells; the refused analysis would have needed tens of GB.
        Assert.True(result.Allocated < 400_000_000, $"allocated {result.Allocated:N0} bytes");
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(30), $"took {result.Elapsed}");
    }

    [Theory]
    [InlineData("logrank", 200_000)]
    [InlineData("logrank", 50_000)]
    [InlineData("logrank", 1_001)]
    [InlineData("km", 200_000)]
    public void GroupColumnWithMoreThan1000Groups_IsRefusedQuickly(string command, int groups)
    {
        using var file = Table(Math.Max(groups, 2_000), i => $"g{i % groups}");

        var result = Measure(command, "--csv", file.Path, "--time", "time", "--event", "status", "--group", "key");

        AssertRefusedQuickly(result, "error: column 'key' has more than 1,000 groups: km and logrank compare at most 1,000");
    }

    [Fact]
    public void NumericGroupColumnOfSubjectKeys_IsRefusedQuickly()
    {
        using var file = Table(200_000, i => i.ToString(CultureInfo.InvariantCulture));

        AssertRefusedQuickly(Measure("logrank", "--csv", file.Path, "--time", "time", "--event", "status", "--group", "key"),
            "column 'key' has more than 1,000 groups");
    }

    [Fact]
    public void LogRankWith1000Groups_AndAllTimesDistinct_AnswersInSeconds()
    {
        // 50,000 distinct times × 1,000² pairs was the old cost (5·10¹⁰ steps, minutes); now O(subjects·groups + groups³).
        using var file = Table(50_000, i => $"g{i % 1_000:D4}");

        var (run, elapsed, _) = Measure("logrank", "--csv", file.Path, "--time", "time", "--event", "status", "--group", "key");

        var report = run.Json();
        Assert.Equal(999, report.Integer("df"));
        Assert.Equal(1_000, report.GetProperty("groups").GetArrayLength());
        Assert.True(elapsed < TimeSpan.FromSeconds(30), $"took {elapsed}");
    }

    [Theory]
    [InlineData(200_000)]
    [InlineData(101)]
    public void CoxFactorWithMoreThan100Levels_IsRefusedQuickly(int levels)
    {
        using var file = Table(Math.Max(levels, 2_000), i => $"site{i % levels}");

        var result = Measure("cox", "--csv", file.Path, "--time", "time", "--event", "status", "--covariates", "key");

        AssertRefusedQuickly(result, "error: column 'key' is a factor with more than 100 levels: a factor covariate may have at most 100");
    }

    [Fact]
    public void CoxFactorWith100Levels_IsFitted()
    {
        using var file = Table(2_000, i => $"site{i % 100:D3}");

        var report = StatsRun.Of("cox", "--csv", file.Path, "--time", "time", "--event", "status", "--covariates", "key").Json();

        Assert.Equal(99, report.GetProperty("coefficients").GetArrayLength());
    }

    [Fact]
    public void CoxWithMoreThan100CoefficientsInAll_IsRefused()
    {
        var text = new StringBuilder("time,status,a,b\n");
        for (var i = 0; i < 500; i++) text.Append(CultureInfo.InvariantCulture, $"{i + 1},1,a{i % 60},b{i % 55}\n");
        using var file = new TempCsv(text.ToString());

        var run = StatsRun.Of("cox", "--csv", file.Path, "--time", "time", "--event", "status", "--covariates", "a,b");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error: --covariates give 113 coefficients (a numeric column gives one, a factor its levels minus one): " +
            "a Cox model has at most 100", run.Error);
    }
}
