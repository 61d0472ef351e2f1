using Outcomes.Domain.Cohorts;

namespace Outcomes.Domain.Disclosure;

/// Which courses a slot of a protected report holds, in a form that can be kept and compared without the courses:
/// how many, and the sum (mod 2^64) of their 64-bit course hashes.
public readonly record struct CohortSignature(int Courses, long HashSum);

/// The signatures of a protected report's slots (0: the whole cohort, then its groups), and the one question the
/// differencing lock-out asks of them: does a slot differ from a cohort asked before by exactly one course? Two
/// cohorts that do are the differencing attack (their difference is that course's values plus noise, and averaging
/// many such pairs wears the noise down); the lock-out withholds the second (analytics/methods/disclosure-control.md).
public sealed class CohortSignatures
{
    private readonly IReadOnlyList<CohortMember> _members;
    private readonly int[] _slotOf;

    internal CohortSignatures(IReadOnlyList<CohortMember> members, int[] slotOf, CohortSignature[] slots)
    {
        _members = members;
        _slotOf = slotOf;
        Slots = slots;
    }

    public IReadOnlyList<CohortSignature> Slots { get; }

    /// A course's hash in the sums: stable across processes and releases (the trajectory sample's course hash).
    internal static long Hash(Courses.CourseKey course) => unchecked((long)TrajectorySample.Hash(course));

    /// Whether slot <paramref name="slot"/> and <paramref name="other"/> differ by exactly one course: the counts differ
    /// by one, and the sums by the hash of a course that one side holds and the other does not. The courses are looked
    /// for among those this report read (a cohort asked over other clinics can hold a course it did not read; then
    /// the answer is no). Scans the courses only for a count one apart, which unrelated cohorts seldom are.
    public bool DiffersByOneCourse(int slot, CohortSignature other)
    {
        var mine = Slots[slot];
        bool InSlot(int i) => slot == 0 ? _slotOf[i] >= 0 : _slotOf[i] == slot;
        if (other.Courses == mine.Courses + 1)
        {
            var added = unchecked(other.HashSum - mine.HashSum);
            for (var i = 0; i < _members.Count; i++)
                if (!InSlot(i) && Hash(_members[i].Course) == added) return true;
        }
        else if (other.Courses == mine.Courses - 1)
        {
            var removed = unchecked(mine.HashSum - other.HashSum);
            for (var i = 0; i < _members.Count; i++)
                if (InSlot(i) && Hash(_members[i].Course) == removed) return true;
        }
        return false;
    }
}
