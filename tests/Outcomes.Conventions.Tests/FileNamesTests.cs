using System.Text.RegularExpressions;

namespace Outcomes.Conventions.Tests;

/// A reader finds a type by its file name: every file under src/ is named like a type it declares (a file may keep
/// a type's small companions beside it: its records, enums, options). The few files that group a family of small types
/// under a collective name are listed here, each with the reason.
public sealed partial class FileNamesTests
{
    private static readonly Dictionary<string, string> GroupFiles = new(StringComparer.Ordinal)
    {
        ["src/Outcomes.Cli/Program.cs"] = "top-level statements",
        ["src/Outcomes.Service/Program.cs"] = "top-level statements",
        ["src/Outcomes.Contracts/ClinicEvents.cs"] = "the contract v1 messages and their enums, read as one contract",
        ["src/Outcomes.Contracts/WireValues.cs"] = "the JSON converters of the wire's enum and timestamp values",
        ["src/Outcomes.Domain/Courses/CourseEvents.cs"] = "the course's domain events, one record each",
        ["src/Outcomes.Domain/Courses/Attributes.cs"] = "the course attributes' enums",
        ["src/Outcomes.Statistics/Distributions.cs"] = "the distribution functions the tests and models share",
        ["src/Outcomes.Service/Ingestion/ClinicEventConsumers.cs"] = "the AMQP consumers of clinic events and their observer",
        ["src/Outcomes.Service/Exports/ExportWriters.cs"] = "one writer per export file format behind one interface",
        ["src/Outcomes.Service/CourseOutcomes/RowBytes.cs"] = "the writer and the reader of one binary row format",
        ["src/Outcomes.Cli/Fhir/FhirExtracts.cs"] = "the records extracted from FHIR resources",
    };

    [Fact]
    public void EverySourceFile_IsNamedLikeATypeItDeclares()
    {
        var misnamed = new List<string>();
        foreach (var path in Repository.SourceFiles("src"))
        {
            var relative = Path.GetRelativePath(Repository.Root, path).Replace(Path.DirectorySeparatorChar, '/');
            if (GroupFiles.ContainsKey(relative)) continue;
            var types = TopLevelTypes(File.ReadAllText(path)).ToList();
            if (!types.Contains(Path.GetFileNameWithoutExtension(path)))
                misnamed.Add($"{relative} declares {(types.Count == 0 ? "no type" : string.Join(", ", types))}");
        }
        Assert.True(misnamed.Count == 0, "Name each file after its main type (or list a group file in GroupFiles with why):\n"
            + string.Join("\n", misnamed));
    }

    [Fact]
    public void GroupFiles_StillExist()
    {
        var gone = GroupFiles.Keys.Where(relative => !File.Exists(Path.Combine(Repository.Root, relative))).ToList();
        Assert.True(gone.Count == 0, "Remove from GroupFiles: " + string.Join(", ", gone));
    }

    // Two types of one name in two projects read as one concept; the only such pairs allowed are a contract message
    // or value (Outcomes.Contracts) and its domain form (Outcomes.Domain), which are the same concept on purpose.
    [Fact]
    public void TypeNames_AreNotReusedAcrossProjects_ExceptAContractTypeAndItsDomainForm()
    {
        var byName = Repository.SourceFiles("src")
            .SelectMany(path => TopLevelTypes(File.ReadAllText(path)).Select(type => (type, project: ProjectOf(path))))
            .GroupBy(t => t.type)
            .Select(g => (name: g.Key, projects: g.Select(t => t.project).Distinct().Order(StringComparer.Ordinal).ToList()))
            .Where(g => g.projects.Count > 1)
            .Where(g => !g.projects.SequenceEqual(["Outcomes.Contracts", "Outcomes.Domain"]))
            .Select(g => $"{g.name} in {string.Join(" and ", g.projects)}")
            .ToList();
        Assert.True(byName.Count == 0, "Give these types distinct names:\n" + string.Join("\n", byName));
    }

    [Fact]
    public void TopLevelTypes_FindsTypesAtTheStartOfALine_NotNestedOnes()
    {
        const string source = """
            namespace X;
            public sealed record Alpha(int A);
            internal static partial class Beta
            {
                private sealed class Nested;
            }
            public enum Gamma { One }
            public readonly record struct Delta(int D);
            public interface IEpsilon;
            """;
        Assert.Equal(["Alpha", "Beta", "Gamma", "Delta", "IEpsilon"], TopLevelTypes(source));
    }

    private static string ProjectOf(string path) =>
        Path.GetRelativePath(Path.Combine(Repository.Root, "src"), path).Split(Path.DirectorySeparatorChar)[0];

    // File-scoped namespaces (the house style) put top-level types at column 0; nested types are indented.
    internal static IEnumerable<string> TopLevelTypes(string source) =>
        TypeDeclaration().Matches(source).Select(m => m.Groups["name"].Value);

    [GeneratedRegex(@"^(?:(?:public|internal|file|static|sealed|abstract|partial|readonly|ref)\s+)*(?:class|struct|interface|enum|record(?:\s+struct|\s+class)?|delegate\s+[\w<>\[\]?,. ]+?)\s+(?<name>[A-Za-z_]\w*)", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();
}
