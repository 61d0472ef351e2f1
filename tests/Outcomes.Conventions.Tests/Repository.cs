namespace Outcomes.Conventions.Tests;

/// The checkout these tests read: the folder holding Outcomes.sln, found upwards from the test binaries.
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Outcomes.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no Outcomes.sln above {AppContext.BaseDirectory}");
    }

    /// The C# sources under a folder of the repository, build output left out.
    public static IEnumerable<string> SourceFiles(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal);
}
