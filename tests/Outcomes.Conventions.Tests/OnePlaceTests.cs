namespace Outcomes.Conventions.Tests;

/// Rules written once stay written once: their text appears only in their one home, so a copy that could drift is
/// caught when it is made, not when the two disagree.
public sealed class OnePlaceTests
{
    [Theory]
    // The clinic-id pattern: everything else calls ContractLimits.IsClinicId or reads ContractLimits.ClinicIdPattern.
    [InlineData("[a-z0-9][a-z0-9-]{1,39}", "src/Outcomes.Contracts/ContractLimits.cs")]
    // The ingestion queues: the service's defaults, the CLI and the tests derive from WireContract.
    [InlineData("\"outcomes-ingestion", "src/Outcomes.Contracts/WireContract.cs")]
    public void RuleText_AppearsOnlyInItsHome(string text, string home)
    {
        var copies = Repository.SourceFiles("src").Concat(Repository.SourceFiles("tests")).Concat(Repository.SourceFiles("bench"))
            .Where(path => File.ReadAllText(path).Contains(text, StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(Repository.Root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(relative => relative != home && relative != "tests/Outcomes.Conventions.Tests/OnePlaceTests.cs"
                // The CLI tests' wire rules restate the README's contract on purpose, as an independent oracle.
                && relative != "tests/Outcomes.Cli.Tests/Demo/WireRules.cs")
            .ToList();
        Assert.True(copies.Count == 0, $"'{text}' is written in {home}; use it from there instead of in:\n" + string.Join("\n", copies));
    }

    // Statistics alone compiles against MathNet.Numerics (PrivateAssets="compile" keeps it from flowing on); a package
    // reference added to another project would reopen the door, so it is refused here.
    [Fact]
    public void MathNet_IsReferencedOnlyByStatistics()
    {
        var referencing = Directory.EnumerateFiles(Repository.Root, "*.csproj", SearchOption.AllDirectories)
            .Where(path => File.ReadAllText(path).Contains("MathNet", StringComparison.Ordinal))
            .Select(path => Path.GetFileName(path))
            .ToList();
        Assert.Equal(["Outcomes.Statistics.csproj"], referencing);
        var statistics = File.ReadAllText(Path.Combine(Repository.Root, "src", "Outcomes.Statistics", "Outcomes.Statistics.csproj"));
        Assert.Contains("""<PackageReference Include="MathNet.Numerics" PrivateAssets="compile" />""", statistics);
    }
}
