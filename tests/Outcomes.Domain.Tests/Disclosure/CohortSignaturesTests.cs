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
        var all = Of(read, read.Take(20));
        var oneMore = Of(read, read.Take(21));
        var oneLess = Of(read, read.Take(19));
        var twoMore = Of(read, read.Take(22));
        var swapped = Of(read, read.Take(19).Append(read[30]));

        Assert.Equal(20, all.Slots[0].Courses);
        Assert.True(all.DiffersByOneCourse(0, oneMore.Slots[0]));
        Assert.True(all.DiffersByOneCourse(0, oneLess.Slots[0]));
        Assert.True(oneMore.DiffersByOneCourse(0, all.Slots[0]));
        Assert.False(all.DiffersByOneCourse(0, twoMore.Slots[0]));
        Assert.False(all.DiffersByOneCourse(0, swapped.Slots[0]));
        Assert.False(all.DiffersByOneCourse(0, all.Slots[0]));
        Assert.False(oneMore.DiffersByOneCourse(0, swapped.Slots[0]));
    }
}
