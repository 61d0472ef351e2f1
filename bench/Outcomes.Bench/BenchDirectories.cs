namespace Outcomes.Bench;

/// <summary>Where benchmarks read scripts and write data and results: under bench/ of the repository.</summary>
internal sealed record BenchDirectories(string Root)
{
    public string Data => Path.Combine(Root, "bench", "data");

    public string Results => Path.Combine(Root, "bench", "results");

    public string RScripts => Path.Combine(Root, "bench", "r");

    /// <summary>The repository root: the nearest directory holding Outcomes.sln, from the working directory up.</summary>
    public static BenchDirectories Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Outcomes.sln")))
                    return new BenchDirectories(directory.FullName);
            }
        }
        throw new InvalidOperationException("Outcomes.sln was not found above the working directory: run from the repository.");
    }
}
