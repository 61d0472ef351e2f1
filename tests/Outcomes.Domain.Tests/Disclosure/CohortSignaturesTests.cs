using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Disclosure;
using static Outcomes.Domain.Tests.Cohorts.CohortTestData;

namespace Outcomes.Domain.Tests.Disclosure;

/// The signatures the differencing lock-out compares: one course apart is found in either direction, and nothing
/// else is taken for it (same size, two apart, another course swapped in).
public class CohortSignaturesTests
{
    private static readonly RecordKeys Keys = new(Enumerable.Range(1, 32).Select(i => (byte)(i * 11)).ToArray());

    private static CohortSignatures Of(IReadOnlyList<CohortMember> read, IEnumerable<CohortMember> cohort)
    {
        var keep = cohort.Select(m => m.Course).ToHashSet();
        // The report reads every course and its filter keeps the cohort: kept courses are marked by an age band no
        // other course has (the course keys, which the signatures hash, stay as they are).
        var marked = read.Select(m => m with
        {
            Attributes = m.Attributes! with { AgeBand = keep.Contains(m.Course) ? Domain.Courses.AgeBand.From90 : Domain.Courses.AgeBand.From35To44 },
        }).ToList();
        var definition = Definition() with { Filter = new CohortFilter { AgeBand = ["90+"] } };
        return ReportDisclosure.ComputeProtected(marked, definition, Provenance, Keys, new PerturbationParameters()).Signatures;
    }

    [Fact]
    public void OneCourseAddedOrRemoved_Found_SameSizeTwoApartOrSwapped_NotFound()
    {
        var read = Random(40, seed: 7);
        var store = read.Select(m => CohortSignatures.Hash(m.Course)).ToHashSet();
        bool IsCourse(long hash) => store.Contains(hash);
        var all = Of(read, read.Take(20)).Slots[0];
        var oneMore = Of(read, read.Take(21)).Slots[0];
        var oneLess = Of(read, read.Take(19)).Slots[0];
        var twoMore = Of(read, read.Take(22)).Slots[0];
        var swapped = Of(read, read.Take(19).Append(read[30])).Slots[0];

        Assert.Equal(20, all.Courses);
        Assert.True(CohortSignatures.DifferByOneCourse(all, oneMore, IsCourse));
        Assert.True(CohortSignatures.DifferByOneCourse(all, oneLess, IsCourse));
        Assert.True(CohortSignatures.DifferByOneCourse(oneMore, all, IsCourse));
        Assert.False(CohortSignatures.DifferByOneCourse(all, twoMore, IsCourse));
        Assert.False(CohortSignatures.DifferByOneCourse(all, swapped, IsCourse));
        Assert.False(CohortSignatures.DifferByOneCourse(all, all, IsCourse));
        Assert.False(CohortSignatures.DifferByOneCourse(oneMore, swapped, IsCourse));
        // A course the store does not hold is no course: the difference is then a chance equality, not a pair.
        Assert.False(CohortSignatures.DifferByOneCourse(all, oneMore, _ => false));
    }

    [Fact]
    public void ACourseAddedThatIsNotEligible_LeavesTheEligibleSetAlone_TheCoursesOneApart()
    {
        var read = Random(60, seed: 11);
        var eligible = read.Where(m => m.Outcome.Eligible).ToList();
        var notEligible = read.First(m => !m.Outcome.Eligible);
        var cohort = eligible.Take(20).ToList();
        var before = Of(read, cohort);
        var after = Of(read, cohort.Append(notEligible));

        Assert.Equal(before.Eligible[0], after.Eligible[0]);
        Assert.Equal(before.Slots[0].Courses + 1, after.Slots[0].Courses);
        Assert.Equal(before.Slots[0], before.Eligible[0]);
        Assert.Single(before.Of(0));
        Assert.Equal(2, after.Of(0).Count());
    }
}
