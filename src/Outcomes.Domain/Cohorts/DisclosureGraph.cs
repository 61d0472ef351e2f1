namespace Outcomes.Domain.Cohorts;

/// Every count a report publishes, with the arithmetic that links them, so a suppressed count can be checked
/// against every way of recovering it (analytics/methods/small-cell-suppression.md):
/// - nesting: a parent count contains a child count (enrolled > reached session 1 > with baseline > eligible ...),
///   so parent - child is itself a count of courses;
/// - partitions: a total is the sum of disjoint cells (end reasons; each count over the groups sums to the
///   cohort's).
/// Nodes live in slots (0: the cohort, 1..G: groups) under the same keys, which is how the per-group partitions
/// are found.
internal sealed class DisclosureGraph
{
    private readonly List<int> _value = [];
    private readonly List<int> _slot = [];
    private readonly List<bool> _additive = [];
    private readonly List<SuppressionReason?> _reason = [];
    private readonly List<List<int>> _parents = [];
    private readonly List<List<int>> _children = [];
    private readonly List<(int Total, int[] Cells)> _partitions = [];
    private readonly Dictionary<(int Slot, string Key), int> _ids = [];
    private readonly List<string> _keys = [];

    /// The node for a count, created on first use. A count reached from two sections (responders: the response
    /// rates' numerator and the onset curve's events) is one node, and must have one value.
    /// Additive nodes sum over the groups to the cohort's node of the same key.
    public int Node(int slot, string key, int value, bool additive = true)
    {
        if (_ids.TryGetValue((slot, key), out var existing))
        {
            if (_value[existing] != value)
                throw new InvalidOperationException($"count '{key}' in slot {slot} is both {_value[existing]} and {value}");
            return existing;
        }
        var id = _value.Count;
        _value.Add(value);
        _slot.Add(slot);
        _additive.Add(additive);
        _reason.Add(null);
        _parents.Add([]);
        _children.Add([]);
        _keys.Add(key);
        _ids[(slot, key)] = id;
        return id;
    }

    public int Value(int id) => _value[id];

    public bool IsShown(int id) => _reason[id] is null;

    public Cell Cell(int id) => _reason[id] is { } reason ? Cohorts.Cell.Hidden(reason) : Cohorts.Cell.Of(_value[id]);

    /// The child's courses are a subset of the parent's.
    public void Nested(int parent, int child)
    {
        if (parent == child || _parents[child].Contains(parent)) return;
        _parents[child].Add(parent);
        _children[parent].Add(child);
    }

    /// The cells are disjoint and make up the total.
    public void Partition(int total, IReadOnlyList<int> cells) => _partitions.Add((total, [.. cells]));

    /// Hides every count of a slot (a group below the threshold), zeros included.
    public void Withhold(int slot)
    {
        for (var id = 0; id < _value.Count; id++)
            if (_slot[id] == slot) _reason[id] ??= SuppressionReason.SmallGroup;
    }

    public IEnumerable<SuppressionReason> Reasons() => _reason.Where(r => r is not null).Select(r => r!.Value);

    /// Primary suppression of counts 1..threshold-1, then complementary suppression until no rule is broken.
    /// Suppression only ever grows, so this ends after at most one round per node.
    public void Protect(int threshold)
    {
        AddGroupPartitions();
        for (var id = 0; id < _value.Count; id++)
            if (_value[id] >= 1 && _value[id] < threshold) _reason[id] ??= SuppressionReason.BelowThreshold;

        bool changed;
        do
        {
            changed = false;
            for (var id = 0; id < _value.Count; id++) changed |= CheckDifferences(id, threshold) | CheckPinned(id);
            foreach (var (total, cells) in _partitions) changed |= CheckPartition(total, cells, threshold);
        }
        while (changed);
    }

    private void AddGroupPartitions()
    {
        var slots = _slot.Count == 0 ? 0 : _slot.Max();
        if (slots == 0) return;
        for (var id = 0; id < _value.Count; id++)
        {
            if (_slot[id] != 0 || !_additive[id]) continue;
            var cells = new int[slots];
            var complete = true;
            for (var s = 1; s <= slots && complete; s++)
                complete = _ids.TryGetValue((s, _keys[id]), out cells[s - 1]);
            if (complete) Partition(id, cells);
        }
    }

    /// A shown count must not differ from a shown count containing it by 1..threshold-1: that difference is a
    /// count of courses too. Suppressed counts in between do not hide the difference, so the comparison is with
    /// the nearest shown ancestors.
    private bool CheckDifferences(int id, int threshold)
    {
        if (!IsShown(id)) return false;
        foreach (var ancestor in NearestShown(id, _parents))
        {
            var difference = _value[ancestor] - _value[id];
            if (difference >= 1 && difference < threshold)
            {
                _reason[id] = SuppressionReason.Complementary;
                return true;
            }
        }
        return false;
    }

    /// A suppressed count squeezed between a shown ancestor and a shown descendant of the same value is known
    /// exactly; hide the descendant.
    private bool CheckPinned(int id)
    {
        if (IsShown(id) || _value[id] == 0) return false;
        var ancestors = NearestShown(id, _parents);
        if (ancestors.Count == 0) return false;
        var upper = ancestors.Min(a => _value[a]);
        var changed = false;
        foreach (var descendant in NearestShown(id, _children))
        {
            if (_value[descendant] != upper) continue;
            _reason[descendant] = SuppressionReason.Complementary;
            changed = true;
        }
        return changed;
    }

    /// With the total shown, the suppressed cells' sum is known: it must be 0 or at least the threshold, and no
    /// single suppressed non-zero cell may stand alone. With the total suppressed, not every non-zero cell may be
    /// shown, or their sum gives the total away. The next cell hidden is the smallest shown non-zero one.
    private bool CheckPartition(int total, int[] cells, int threshold)
    {
        var hiddenSum = 0;
        var hiddenNonZero = 0;
        foreach (var c in cells)
        {
            if (IsShown(c)) continue;
            hiddenSum += _value[c];
            if (_value[c] > 0) hiddenNonZero++;
        }
        bool broken = IsShown(total)
            ? (hiddenSum >= 1 && hiddenSum < threshold) || hiddenNonZero == 1
            : _value[total] > 0 && hiddenNonZero == 0;
        if (!broken) return false;

        var next = -1;
        foreach (var c in cells)
            if (IsShown(c) && _value[c] > 0 && (next < 0 || _value[c] < _value[next])) next = c;
        if (next >= 0) _reason[next] = SuppressionReason.Complementary;
        else if (IsShown(total)) _reason[total] = SuppressionReason.Complementary;
        else return false;
        return true;
    }

    private List<int> NearestShown(int id, List<List<int>> edges)
    {
        var found = new List<int>();
        var stack = new Stack<int>(edges[id]);
        var seen = new HashSet<int>();
        while (stack.Count > 0)
        {
            var next = stack.Pop();
            if (!seen.Add(next)) continue;
            if (IsShown(next)) found.Add(next);
            else foreach (var further in edges[next]) stack.Push(further);
        }
        return found;
    }
}
