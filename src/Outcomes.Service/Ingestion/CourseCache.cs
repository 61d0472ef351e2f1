using Outcomes.Domain.Courses;

namespace Outcomes.Service.Ingestion;

/// The courses this process appended to last, as they stood after their batch committed, each with the version of its
/// stream then. A live feed appends to the same few thousand open courses again and again; without this, every batch
/// would rebuild each of its courses from the stored events first. A cached course is used only while its stream still
/// has the version it was cached at (the writer reads the versions under the courses' locks), so a fact appended by
/// another instance or by the backfill makes the next batch rebuild the course from its stream.
///
/// A course is taken out while a batch applies facts to it and put back only after that batch commits: a batch that
/// rolls back leaves nothing half-applied here, and no two batches ever hold the same object. Bounded by Capacity:
/// two generations, the older dropped whole when the newer fills, so the courses used lately stay (approximately
/// least recently used, without a list to keep).
public sealed class CourseCache(int capacity)
{
    private readonly Lock _gate = new();
    private Dictionary<string, Entry> _current = new(StringComparer.Ordinal);
    private Dictionary<string, Entry> _previous = new(StringComparer.Ordinal);

    /// A course at its stream's version, with what the observers of its batch carried on (ChangedCourse.Carry).
    public sealed record Entry(string Key, long Version, PatientCourse Course, IReadOnlyDictionary<Type, object>? Carried);

    public int Capacity { get; } = capacity;

    /// Takes the course out if it is cached at exactly this version; removes any other version of it.
    public Entry? Take(string course, long version)
    {
        lock (_gate)
        {
            if (!_current.Remove(course, out var entry) && !_previous.Remove(course, out entry)) return null;
            _previous.Remove(course);
            return entry.Version == version ? entry : null;
        }
    }

    /// Keeps the courses of a committed batch at their new versions.
    public void Put(IReadOnlyList<Entry> committed)
    {
        if (Capacity == 0) return;
        lock (_gate)
            foreach (var entry in committed)
            {
                if (_current.Count >= (Capacity + 1) / 2)
                {
                    _previous = _current;
                    _current = new Dictionary<string, Entry>(StringComparer.Ordinal);
                }
                _previous.Remove(entry.Key);
                _current[entry.Key] = entry;
            }
    }

    /// The version the course is cached at, if it is (tests).
    internal long? VersionOf(string course)
    {
        lock (_gate)
            return _current.TryGetValue(course, out var entry) || _previous.TryGetValue(course, out entry) ? entry.Version : null;
    }
}
