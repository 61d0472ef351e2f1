using Outcomes.Domain.Cohorts;
using Xunit.Abstractions;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Exports;
using static Outcomes.Domain.Tests.Cohorts.CohortTestData;

namespace Outcomes.Domain.Tests.Exports;

/// The export leaks of issue 11 that live in the domain: a filtered export revealing finer values or releasing removed
/// subjects, and (day, PHQ-9 total) sequences linking two releases. Each attack is shown working on the unprotected
/// computation first, so the protected result cannot pass vacuously.
public class ReleaseSubsetTests(ITestOutputHelper output)
{
    private static SubjectAttributes Subject(short clinic, AgeBand age, Sex sex, Modality modality, short year) =>
        new(clinic, (sbyte)age, (sbyte)sex, 0, 0, (sbyte)modality, year, year);

    private static List<SubjectAttributes> Population(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 3000).Select(_ => Subject((short)random.Next(2), (AgeBand)random.Next(8), (Sex)random.Next(2),
            (Modality)(random.NextDouble() < 0.8 ? 0 : random.Next(5)), (short)(2023 + random.Next(2)))).ToList();
    }

    [Fact]
    public void FilteredExport_NeverUngeneralisesAValue_NorReleasesARemovedSubject()
    {
        var population = Population(21);
        var filter = new CohortFilter { AgeBand = ["18-24"], FirstSessionFrom = "2024-Q1", FirstSessionTo = "2024-Q4" };
        bool TrulyMatches(SubjectAttributes s) => s.AgeBand == (sbyte)AgeBand.From18To24 && s.FirstSessionYear == 2024;

        // Unprotected (the old path): the filter picks subjects on their stored values, and only they are anonymised.
        var picked = population.Where(TrulyMatches).ToList();
        var alone = Release.Anonymise(picked, ReleaseParameters.Default);
        // The release: the whole population anonymised once, the filter selecting on released values.
        var plan = Release.Anonymise(population, ReleaseParameters.Default);
        var released = new ReleasedFilter(filter);
        var selected = Enumerable.Range(0, population.Count)
            .Where(i => plan.Levels[i] != Release.Suppressed && released.MatchesReleased("clinic", plan.Released(population[i], i))).ToList();

        var removedOrCoarser = Enumerable.Range(0, population.Count).Where(i => TrulyMatches(population[i])
            && (plan.Levels[i] == Release.Suppressed || Release.Labels(plan.Released(population[i], i))[0] != "18-24")).ToHashSet();
        Assert.NotEmpty(removedOrCoarser);
        // The attack works unprotected: being in the subset tells each subject's exact band and year (the filter's), so
        // every subject the subset releases that the whole release suppressed or showed coarser is a finer disclosure.
        var pickedIndex = Enumerable.Range(0, population.Count).Where(i => TrulyMatches(population[i])).ToList();
        var shownFiner = pickedIndex.Where((i, j) => alone.Levels[j] != Release.Suppressed && removedOrCoarser.Contains(i)).Count();
        Assert.True(shownFiner > 0, "the subset's own export disclosed no finer value than the release");
        // Protected: the filtered export is a subset of the release's table and shows only released values.
        Assert.NotEmpty(selected);
        Assert.All(selected, i => Assert.DoesNotContain(i, removedOrCoarser));
        Assert.All(selected, i => Assert.Equal(["18-24", "2024"], [Release.Labels(plan.Released(population[i], i))[0]!,
            Release.Labels(plan.Released(population[i], i))[6]!]));
    }

    [Theory]
    [InlineData("2024-Q2", null, "filter.firstSessionFrom")]
    [InlineData(null, "2024-Q3", "filter.firstSessionTo")]
    public void QuarterFilter_FinerThanTheRelease_IsRefusedNamingTheField(string? from, string? to, string field)
    {
        var violations = ReleasedFilter.Validate(new CohortFilter { FirstSessionFrom = from, FirstSessionTo = to }, "filter");

        Assert.Contains(violations, v => v.Field == field && v.Rule.Contains("years, not quarters", StringComparison.Ordinal));
        Assert.Empty(ReleasedFilter.Validate(new CohortFilter { FirstSessionFrom = "2024-Q1", FirstSessionTo = "2025-Q4" }, "filter"));
    }

    [Fact]
    public void YearFilter_MatchesAPeriodOnlyWhenItLiesInside()
    {
        var period = Release.ReleasedAt(Subject(0, AgeBand.From35To44, Sex.Female, Modality.IvKetamine, 2023), ReleaseParameters.DefaultOrder, 1);

        Assert.False(new ReleasedFilter(new CohortFilter { FirstSessionFrom = "2023-Q1", FirstSessionTo = "2023-Q4" }).MatchesReleased("c", period));
        Assert.True(new ReleasedFilter(new CohortFilter { FirstSessionFrom = "2020-Q1", FirstSessionTo = "2024-Q4" }).MatchesReleased("c", period));
    }

    [Fact]
    public void DayJitter_ShiftsByAtMostOneDay_KeepsDayZeroOrderAndSide()
    {
        var random = new Random(8);
        for (var n = 0; n < 500; n++)
        {
            var days = Enumerable.Range(0, 12).Select(_ => random.Next(-10, 120)).Append(0).Distinct().Order().ToArray();
            var jitter = DayJitter.For((ulong)random.NextInt64(), days);
            var shifted = days.Select(jitter.Day).ToArray();

            Assert.Equal(0, jitter.Day(0));
            Assert.All(days.Zip(shifted), p => Assert.InRange(p.Second - p.First, -1, 1));
            Assert.All(days.Zip(shifted), p => Assert.Equal(Math.Sign(p.First), Math.Sign(p.Second)));
            Assert.Equal(shifted.Order(), shifted);
        }
    }

    /// Links two exports' subjects by their assessments' (day, total) sequences: a subject of the first is linked when
    /// exactly one subject of the second has a matching sequence; returns how many links are right.
    private static (int Right, int Candidates) Link(TestExport a, TestExport b, Func<string, string> truth, int toleranceDays)
    {
        static Dictionary<string, (int Day, int Total)[]> Sequences(TestExport e)
        {
            var day = ExportDatasets.Assessments.Columns.Select(c => c.Name).ToList().IndexOf("day");
            var total = ExportDatasets.Assessments.Columns.Select(c => c.Name).ToList().IndexOf("total");
            return e.Assessments.Rows.Where(r => r[day] is not null).GroupBy(r => r[0]!)
                .ToDictionary(g => g.Key, g => g.Select(r => (int.Parse(r[day]!), int.Parse(r[total]!))).ToArray());
        }
        var first = Sequences(a);
        var second = Sequences(b);
        var right = 0;
        var candidates = 0;
        foreach (var (id, sequence) in first.Where(s => s.Value.Count(x => x.Day != 0) >= 3))
        {
            candidates++;
            var matches = second.Where(s => s.Value.Length == sequence.Length && s.Value.Zip(sequence)
                .All(p => p.First.Total == p.Second.Total && Math.Abs(p.First.Day - p.Second.Day) <= toleranceDays)).Take(2).ToList();
            if (matches.Count == 1 && matches[0].Key == truth(id)) right++;
        }
        return (right, candidates);
    }

    [Fact]
    public void TwoReleases_NoLongerLinkByExactDayAndTotalSequences_BeyondTheStatedResidual()
    {
        var courses = RandomCourses(400, 41);
        var seed1 = Enumerable.Repeat((byte)1, ExportKeys.SeedBytes).ToArray();
        var seed2 = Enumerable.Repeat((byte)2, ExportKeys.SeedBytes).ToArray();
        using var keys1 = new ExportKeys(TestExport.Key, seed1);
        using var keys2 = new ExportKeys(TestExport.Key, seed2);
        var truth = courses.ToDictionary(c => ExportKeys.SubjectId(keys1.SubjectKey(c.Key)), c => ExportKeys.SubjectId(keys2.SubjectKey(c.Key)));

        var (plainRight, candidates) = Link(TestExport.Of(courses, TestExport.Scope(), seed: seed1),
            TestExport.Of(courses, TestExport.Scope(), seed: seed2), id => truth[id], 0);
        var first = TestExport.Of(courses, TestExport.Scope(), seed: seed1, jitter: true);
        var second = TestExport.Of(courses, TestExport.Scope(), seed: seed2, jitter: true);
        var (exactRight, _) = Link(first, second, id => truth[id], 0);
        var (tolerantRight, _) = Link(first, second, id => truth[id], 2);

        output.WriteLine($"candidates {candidates}: unprotected {plainRight}, jittered exact {exactRight}, jittered ±2 days {tolerantRight}");
        // Unprotected, three assessments link nearly everyone (the issue: 153 of 153).
        Assert.True(candidates > 200 && plainRight >= 0.95 * candidates, $"unprotected: {plainRight} of {candidates} linked");
        // Jittered: exact sequences link at most the stated residual (analytics/methods/exports.md: under 10 %) ...
        Assert.True(exactRight <= 0.10 * candidates, $"jittered: {exactRight} of {candidates} linked exactly");
        // ... but an attacker tolerant of ±2 days still links most of them: the residual risk the method states.
        Assert.True(tolerantRight >= 0.8 * candidates, $"tolerant matching: {tolerantRight} of {candidates}");
    }
}
