using Outcomes.Domain.Cohorts;

namespace Outcomes.Domain.Disclosure;

/// Which courses a set of a protected report holds, in a form that can be kept and compared without the courses:
/// how many, and the sum (mod 2^64) of their 64-bit course hashes.
public readonly record struct CohortSignature(int Courses, long HashSum);

/// The signatures of a protected report's slots (0: the whole cohort, then its groups), each twice: over its
/// courses and over its eligible courses (the base of every rate, curve and mean), and the one question the
/// differencing lock-out asks of them: is a set one course from a set asked before? Two such sets are the differencing
/// attack (their difference is that course's values plus noise, and averaging many such pairs wears the noise down);
/// the lock-out withholds the second (analytics/methods/disclosure-control.md).
public sealed class CohortSignatures
{
    internal CohortSignatures(CohortSignature[] slots, CohortSignature[] eligible)
    {
        Slots = slots;
        Eligible = eligible;
    }

    /// Per slot, its courses.
    public IReadOnlyList<CohortSignature> Slots { get; }

    /// Per slot, its eligible courses.
    public IReadOnlyList<CohortSignature> Eligible { get; }

    /// A slot's signatures (its courses, its eligible courses: often the same set).
    public IEnumerable<CohortSignature> Of(int slot) => Slots[slot] == Eligible[slot] ? [Slots[slot]] : [Slots[slot], Eligible[slot]];

    /// A course's hash in the sums: stable across processes and releases (the trajectory sample's course hash).
    public static long Hash(Courses.CourseKey course) => unchecked((long)TrajectorySample.Hash(course));

    /// Whether two sets differ by exactly one course: their counts differ by one, and their sums by the hash of a course
    /// (<paramref name="isCourse"/>: any course of the store, so the course may be one this report did not read, from
    /// another clinic or another release). A difference that merely equals some course's hash by chance has a
    /// probability of about courses / 2^64.
    public static bool DifferByOneCourse(CohortSignature a, CohortSignature b, Func<long, bool> isCourse)
    {
        ArgumentNullException.ThrowIfNull(isCourse);
        if (b.Courses == a.Courses + 1) return isCourse(unchecked(b.HashSum - a.HashSum));
        if (a.Courses == b.Courses + 1) return isCourse(unchecked(a.HashSum - b.HashSum));
        return false;
    }
}
