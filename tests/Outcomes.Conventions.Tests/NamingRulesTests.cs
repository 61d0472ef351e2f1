using System.Diagnostics;

namespace Outcomes.Conventions.Tests;

/// The naming rules in .editorconfig fail the build (IDE1006 as an error, EnforceCodeStyleInBuild in
/// Directory.Build.props). Shown on a throwaway project that carries the repository's build settings: each misnamed
/// symbol breaks the build at its line, and the same code with the names fixed builds clean.
public sealed class NamingRulesTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "outcomes-naming-" + Guid.NewGuid().ToString("N"));

    private const string Misnamed = """
        namespace Probe;

        public interface Reader { int Read(); }

        public sealed class Counter : Reader
        {
            private int count = 2;
            private static readonly int startAt = 1;
            public int total;

            public int Read()
            {
                var Next = count + startAt + total;
                return Next;
            }
        }
        """;

    private static readonly string Renamed = Misnamed
        .Replace("Reader", "IReader").Replace("count", "_count").Replace("startAt", "StartAt")
        .Replace("total", "Total").Replace("Next", "next");

    public NamingRulesTests()
    {
        Directory.CreateDirectory(_project);
        foreach (var file in new[] { ".editorconfig", "Directory.Build.props", "Directory.Packages.props", "global.json" })
            File.Copy(Path.Combine(Repository.Root, file), Path.Combine(_project, file));
        File.WriteAllText(Path.Combine(_project, "Probe.csproj"), """<Project Sdk="Microsoft.NET.Sdk" />""");
    }

    [Fact]
    public async Task MisnamedSymbols_BreakTheBuild_AndTheSameCodeRenamedBuilds()
    {
        File.WriteAllText(Path.Combine(_project, "Counter.cs"), Misnamed);
        var (exitCode, output) = await Build();
        Assert.NotEqual(0, exitCode);
        var lines = Misnamed.Split('\n');
        foreach (var symbol in new[] { "interface Reader", "int count", "int startAt", "int total", "var Next" })
        {
            var line = Array.FindIndex(lines, l => l.Contains(symbol, StringComparison.Ordinal)) + 1;
            Assert.True(output.Contains($"Counter.cs({line},", StringComparison.Ordinal) && output.Contains("IDE1006", StringComparison.Ordinal),
                $"expected IDE1006 at line {line} ({symbol}); the build said:\n{output}");
        }

        File.WriteAllText(Path.Combine(_project, "Counter.cs"), Renamed);
        (exitCode, output) = await Build();
        Assert.True(exitCode == 0, "the renamed code should build clean; the build said:\n" + output);
    }

    private async Task<(int ExitCode, string Output)> Build()
    {
        var start = new ProcessStartInfo("dotnet", ["build", "-c", "Release", "-nologo"])
        {
            WorkingDirectory = _project,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["MSBUILDTERMINALLOGGER"] = "off";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var build = Process.Start(start)!;
        var stdout = build.StandardOutput.ReadToEndAsync();
        var stderr = build.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await build.WaitForExitAsync(deadline.Token);
        return (build.ExitCode, await stdout + await stderr);
    }

    public void Dispose() => Directory.Delete(_project, recursive: true);
}
