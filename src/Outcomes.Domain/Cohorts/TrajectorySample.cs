namespace Outcomes.Domain.Cohorts;

/// The courses a trajectory model is fitted on: all of them, or the `max` whose course keys hash lowest. Hashing the
/// key (FNV-1a, then the SplitMix64 finaliser) makes the subsample a fixed pseudo-random draw: the same courses on
/// every run and machine, whatever order the members come in, and independent of clinic, group or outcome.
internal static class TrajectorySample
{
    /// Hashes: each member's Hash(course), computed once per report by the caller (a report draws a sample per group
    /// and one overall, so each key would otherwise be hashed twice, and hashing is most of the draw's cost).
    public static (int[] Members, bool Subsampled) Select(IReadOnlyList<CohortMember> members, ulong[] hashes, IEnumerable<int> candidates, int? max)
    {
        var order = Comparer<(ulong Hash, int Member)>.Create((a, b) => Compare(members, a, b));
        var keep = max ?? int.MaxValue;
        var heap = new PriorityQueue<int, (ulong, int)>(Comparer<(ulong, int)>.Create((a, b) => order.Compare(b, a)));
        var seen = 0;
        foreach (var m in candidates)
        {
            seen++;
            var key = (hashes[m], m);
            if (heap.Count < keep) heap.Enqueue(m, key);
            else if (heap.TryPeek(out _, out var largest) && order.Compare(key, largest) < 0) heap.DequeueEnqueue(m, key);
        }
        var chosen = new (ulong Hash, int Member)[heap.Count];
        for (var i = 0; heap.TryDequeue(out var m, out var key); i++) chosen[i] = key;
        Array.Sort(chosen, order);
        return (chosen.Select(c => c.Member).ToArray(), seen > keep);
    }

    internal static ulong Hash(Courses.CourseKey course)
    {
        var h = 14695981039346656037UL;
        foreach (var ch in course.ClinicId) h = (h ^ ch) * 1099511628211UL;
        h = (h ^ '/') * 1099511628211UL;
        foreach (var ch in course.PatientKey) h = (h ^ ch) * 1099511628211UL;
        h = (h ^ '/') * 1099511628211UL;
        h = (h ^ (uint)course.Course) * 1099511628211UL;
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }

    private static int Compare(IReadOnlyList<CohortMember> members, (ulong Hash, int Member) a, (ulong Hash, int Member) b)
    {
        var c = a.Hash.CompareTo(b.Hash);
        if (c != 0 || a.Member == b.Member) return c;
        var x = members[a.Member].Course;
        var y = members[b.Member].Course;
        c = string.CompareOrdinal(x.ClinicId, y.ClinicId);
        if (c == 0) c = string.CompareOrdinal(x.PatientKey, y.PatientKey);
        if (c == 0) c = x.Course.CompareTo(y.Course);
        return c;
    }
}
