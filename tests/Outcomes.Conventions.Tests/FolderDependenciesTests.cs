using System.Text.RegularExpressions;

namespace Outcomes.Conventions.Tests;

/// The service's top-level folders (src/Outcomes.Service/<Folder>) depend on each other one way. Folders in a cycle are
/// one unit in disguise: neither can be read, moved or changed without the other (issue 10 found EventStore and
/// Ingestion, Hosting and Ingestion, Security with Audit and with Dashboard). A folder uses another when one of its
/// files names a type of the other's through a using of its namespace, or qualifies a name with the folder's name
/// (`Hosting.ReportReads`); comments do not count.
public sealed partial class FolderDependenciesTests
{
    private const string Service = "src/Outcomes.Service";

    /// Cycles left on purpose ("A <-> B", names in order), each with its reason. None today.
    private static readonly Dictionary<string, string> AllowedCycles = new(StringComparer.Ordinal);

    [Fact]
    public void ServiceFolders_DependOnEachOtherOneWay()
    {
        var dependencies = Dependencies(ServiceFolders());
        var cycles = Cycles(dependencies).Where(cycle => !AllowedCycles.ContainsKey(cycle)).ToList();
        Assert.True(cycles.Count == 0, "These folders depend on each other; move what both need to one side (or list the cycle in " +
            "AllowedCycles with why):\n" + string.Join("\n", cycles.Select(cycle => cycle + Edges(cycle, dependencies))));
    }

    [Fact]
    public void AllowedCycles_StillExist()
    {
        var cycles = Cycles(Dependencies(ServiceFolders())).ToHashSet(StringComparer.Ordinal);
        var gone = AllowedCycles.Keys.Where(cycle => !cycles.Contains(cycle)).ToList();
        Assert.True(gone.Count == 0, "Remove from AllowedCycles: " + string.Join(", ", gone));
    }

    [Fact]
    public void Dependencies_AreUsingsAndQualifiedNames_NotComments()
    {
        var folders = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
        {
            ["Alpha"] = ["using Outcomes.Service.Beta;\nnamespace Outcomes.Service.Alpha;\npublic sealed class First(Second second);"],
            ["Beta"] = ["namespace Outcomes.Service.Beta;\npublic sealed class Second { Alpha.First? first; }"],
            ["Gamma"] = ["namespace Outcomes.Service.Gamma;\n/// Like Alpha.First.\npublic sealed class Third // Beta.Second\n{ System.Alpha.Other x; }",
                "using Outcomes.Service.Alpha;\nnamespace Outcomes.Service.Gamma;\npublic sealed class Fourth;"],
        };

        var dependencies = Dependencies(folders);

        Assert.Equal(["Beta"], dependencies["Alpha"]);
        Assert.Equal(["Alpha"], dependencies["Beta"]);
        Assert.Empty(dependencies["Gamma"]);
        Assert.Equal(["Alpha <-> Beta"], Cycles(dependencies));
    }

    /// Each top-level folder of the service with its files' text.
    private static Dictionary<string, IReadOnlyList<string>> ServiceFolders() =>
        Repository.SourceFiles(Service)
            .Select(path => Path.GetRelativePath(Path.Combine(Repository.Root, Service), path).Split(Path.DirectorySeparatorChar))
            .Where(parts => parts.Length > 1)
            .GroupBy(parts => parts[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g
                .Select(parts => File.ReadAllText(Path.Combine([Repository.Root, Service, .. parts]))).ToList(), StringComparer.Ordinal);

    /// Folder -> the folders its files use.
    internal static Dictionary<string, SortedSet<string>> Dependencies(IReadOnlyDictionary<string, IReadOnlyList<string>> folders)
    {
        var types = folders.ToDictionary(f => f.Key, f => f.Value.SelectMany(FileNamesTests.TopLevelTypes).ToHashSet(StringComparer.Ordinal),
            StringComparer.Ordinal);
        var uses = folders.Keys.ToDictionary(f => f, _ => new SortedSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (folder, files) in folders)
            foreach (var code in files.Select(text => Comment().Replace(text, "")))
            {
                var words = Word().Matches(code).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
                foreach (var other in folders.Keys.Where(other => other != folder))
                {
                    var qualified = Regex.IsMatch(code, $@"(?<![\w.]){other}\.[A-Z]") || code.Contains($"Outcomes.Service.{other}.", StringComparison.Ordinal);
                    var imported = code.Contains($"using Outcomes.Service.{other};", StringComparison.Ordinal) && types[other].Overlaps(words);
                    if (qualified || imported) uses[folder].Add(other);
                }
            }
        return uses;
    }

    /// The folders that reach each other, one line per group ("A <-> B <-> C", names in order), found as the strongly
    /// connected components of the graph (Tarjan).
    internal static List<string> Cycles(IReadOnlyDictionary<string, SortedSet<string>> dependencies)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var cycles = new List<string>();

        void Visit(string folder)
        {
            index[folder] = low[folder] = index.Count;
            stack.Push(folder);
            foreach (var next in dependencies.GetValueOrDefault(folder) ?? [])
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[folder] = Math.Min(low[folder], low[next]);
                }
                else if (stack.Contains(next))
                    low[folder] = Math.Min(low[folder], index[next]);
            }
            if (low[folder] != index[folder]) return;
            var group = new List<string>();
            string member;
            do
            {
                member = stack.Pop();
                group.Add(member);
            }
            while (member != folder);
            if (group.Count > 1) cycles.Add(string.Join(" <-> ", group.Order(StringComparer.Ordinal)));
        }

        foreach (var folder in dependencies.Keys.Order(StringComparer.Ordinal))
            if (!index.ContainsKey(folder)) Visit(folder);
        return cycles.Order(StringComparer.Ordinal).ToList();
    }

    private static string Edges(string cycle, Dictionary<string, SortedSet<string>> dependencies)
    {
        var members = cycle.Split(" <-> ");
        return " (" + string.Join(", ", members.SelectMany(from => dependencies[from].Where(members.Contains).Select(to => $"{from} -> {to}"))) + ")";
    }

    // Line comments, XML doc comments included; a "//" inside a string (a URL) drops the rest of its line, which only
    // ever hides a name, never invents one.
    [GeneratedRegex(@"//[^\n]*")]
    private static partial Regex Comment();

    [GeneratedRegex(@"\b[A-Za-z_]\w*\b")]
    private static partial Regex Word();
}
