using System.Globalization;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Exports;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Tests.Exports;

/// Rows as text cells, formatted as the CSV writer formats them, with each cell's type and column checked against
/// the data dictionary as it is written.
internal sealed class TableWriter(ExportDataset dataset) : IRowWriter
{
    private readonly List<string?> _row = [];
    public List<IReadOnlyList<string?>> Rows { get; } = [];

    public void Text(string? value) => Add(ColumnType.Text, value);
    public void Integer(int? value) => Add(ColumnType.Integer, value?.ToString(CultureInfo.InvariantCulture));
    public void Boolean(bool? value) => Add(ColumnType.Boolean, value is null ? null : value.Value ? "true" : "false");
    public void Decimal(decimal? value) => Add(ColumnType.Decimal, value?.ToString(CultureInfo.InvariantCulture));

    public void EndRow()
    {
        Assert.Equal(dataset.Columns.Count, _row.Count);
        Rows.Add(_row.ToArray());
        _row.Clear();
    }

    public TableWriter EndRowAndContinue()
    {
        EndRow();
        return this;
    }

    private void Add(ColumnType type, string? value)
    {
        Assert.True(_row.Count < dataset.Columns.Count, $"{dataset.Name}: more cells than columns");
        var column = dataset.Columns[_row.Count];
        Assert.True(column.Type == type, $"{dataset.Name}.{column.Name} is {column.Type}, written as {type}");
        Assert.True(value is not null || column.Nullable, $"{dataset.Name}.{column.Name} is not nullable, got an empty cell");
        if (value is not null && column.AllowedValues is { } allowed)
            Assert.True(allowed.Contains(value), $"{dataset.Name}.{column.Name}: '{value}' is not among its allowed values");
        _row.Add(value);
    }

    public ExportTable Table() => new(dataset.Columns.Select(c => c.Name).ToArray(), Rows);
}

/// An export of test courses without the service: every course released at the given level of the default order,
/// subject ids keyed, days shifted when jittered.
internal sealed class TestExport
{
    public static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    public TableWriter Subjects { get; } = new(ExportDatasets.Subjects);
    public TableWriter Assessments { get; } = new(ExportDatasets.Assessments);
    public TableWriter Sessions { get; } = new(ExportDatasets.Sessions);
    public required ExportManifest Manifest { get; init; }

    public static TestExport Of(IEnumerable<(CourseKey Key, CourseFacts Facts)> courses, ExportScope scope, int level = 0, byte[]? seed = null,
        bool jitter = false)
    {
        seed ??= new byte[ExportKeys.SeedBytes];
        using var keys = new ExportKeys(Key, seed);
        var exported = courses.Select(c => (Id: keys.SubjectKey(c.Key), c.Key, Course: ExportedCourse.From(c.Key, c.Facts, scope)))
            .Where(c => c.Course.Included).OrderBy(c => c.Id).ToList();
        var order = ReleaseParameters.DefaultOrder;
        var export = new TestExport
        {
            Manifest = new ExportManifest
            {
                Format = "csv",
                Filter = scope.Filter,
                Definitions = scope.Definitions,
                DefinitionsFingerprint = scope.Definitions.Fingerprint(),
                Release = new ExportRelease(1, 4242, scope.AsOf),
                EventStorePosition = 4242,
                AsOf = scope.AsOf,
                InductionWindowDays = scope.InductionWindowDays,
                Seed = Convert.ToHexStringLower(seed),
                ClinicIdentifiers = ExportManifest.Ids,
                ScopeFingerprint = "test",
                Deidentification = new Deidentification(11, order,
                    new ReleaseDeidentification(exported.Count, exported.Count, 0, [], [], 1, ReidentificationRisk.Prosecutor([], 0.05)),
                    new ExportDeidentification(exported.Count, 0, [], 0, jitter ? DayJitter.MaxDays : 0)),
            },
        };
        foreach (var (id, key, course) in exported)
        {
            var released = Release.ReleasedAt(course.Attributes(0), order, level);
            void Prefix(IRowWriter row)
            {
                row.Text(ExportKeys.SubjectId(id));
                Release.WriteAttributes(row, released, course.Member.ClinicId);
            }
            var days = jitter ? course.Jitter(keys.JitterKey(key)) : DayJitter.None;
            course.WriteSubject(export.Subjects, Prefix);
            course.WriteAssessments(export.Assessments, Prefix, days);
            course.WriteSessions(export.Sessions, row => row.Text(ExportKeys.SubjectId(id)), days);
        }
        return export;
    }

    public static ExportScope Scope(CohortFilter? filter = null, int window = 42, DateTimeOffset? storeTime = null) =>
        new(filter ?? CohortFilter.All, OutcomeDefinitions.Default, storeTime ?? Cohorts.CohortTestData.AsOf, window);
}
