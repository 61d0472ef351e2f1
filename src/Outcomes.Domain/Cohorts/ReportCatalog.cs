using System.Text.Json;

namespace Outcomes.Domain.Cohorts;

/// Why one definition file could not be used: the file, the field (a JSON path for unreadable JSON) and the rule.
public sealed record ReportDefinitionProblem(string File, string Field, string Rule);

/// The named report definitions, loadable by name. Files that break a rule are left out and reported, so the
/// caller decides whether one bad file stops a service from starting.
public sealed class ReportCatalog
{
    private readonly SortedDictionary<string, ReportDefinition> _definitions;

    private ReportCatalog(SortedDictionary<string, ReportDefinition> definitions) => _definitions = definitions;

    public IReadOnlyCollection<string> Names => _definitions.Keys;

    public ReportDefinition? Find(string name) => _definitions.GetValueOrDefault(name);

    /// Reads every *.json file of a folder (not its subfolders); each file must be named after its definition.
    public static (ReportCatalog Catalog, IReadOnlyList<ReportDefinitionProblem> Problems) LoadFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var files = Directory.GetFiles(folder, "*.json", SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal)
            .Select(path => (Path.GetFileName(path), File.ReadAllText(path)));
        return Load(files);
    }

    /// Definitions from (file name, JSON text) pairs.
    public static (ReportCatalog Catalog, IReadOnlyList<ReportDefinitionProblem> Problems) Load(
        IEnumerable<(string FileName, string Json)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var definitions = new SortedDictionary<string, ReportDefinition>(StringComparer.Ordinal);
        var problems = new List<ReportDefinitionProblem>();
        foreach (var (fileName, json) in files)
        {
            ReportDefinition definition;
            try
            {
                definition = ReportDefinition.FromJson(json);
            }
            catch (JsonException e)
            {
                problems.Add(new ReportDefinitionProblem(fileName, e.Path ?? "$", e.Message));
                continue;
            }

            var violations = definition.Validate();
            foreach (var v in violations) problems.Add(new ReportDefinitionProblem(fileName, v.Field, v.Rule));
            var expected = Path.GetFileNameWithoutExtension(fileName);
            if (definition.Name != expected)
                problems.Add(new ReportDefinitionProblem(fileName, "name", $"must match the file name '{expected}', got '{definition.Name}'"));
            else if (violations.Count == 0 && !definitions.TryAdd(definition.Name, definition))
                problems.Add(new ReportDefinitionProblem(fileName, "name", $"'{definition.Name}' is defined twice"));
        }
        return (new ReportCatalog(definitions), problems);
    }
}
