using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;
using Outcomes.Statistics;

namespace Outcomes.Domain.Tests.Cohorts;

/// An intruder's view of a published report, written independently of the suppression code: starting from the
/// shown counts, it solves every partition with one unknown cell (a total with all cells known, too) and every
/// count squeezed between equal nested counts, until nothing more follows. Then no known count, no difference of
/// nested known counts and no sum of the unknown cells of a partition may be 1..threshold-1.
internal static class DisclosureAudit
{
    public static void Check(CohortReport raw, PublishedCohortReport published, int threshold)
    {
        GroupReport[] rawSlots = [raw.Overall, .. raw.Groups];
        PublishedGroup[] shownSlots = [published.Overall, .. published.Groups];
        var audit = new Audit();
        for (var s = 0; s < rawSlots.Length; s++) audit.AddSlot(s, rawSlots[s], shownSlots[s]);
        audit.AddGroupSums(rawSlots.Length);
        audit.Solve();
        audit.Assert(threshold);

        for (var s = 0; s < rawSlots.Length; s++)
            if (shownSlots[s].Counts is not null) CheckSections(rawSlots[s], shownSlots[s], threshold);
    }

    private static void CheckSections(GroupReport raw, PublishedGroup shown, int threshold)
    {
        foreach (var rate in Rates(shown))
            Xunit.Assert.True(rate.Estimate is null || (rate.Events.IsShown && rate.N.IsShown), "a rate on a hidden count is shown");
        if (raw.TimeToResponse is { } t)
        {
            CheckCurve(t.Days.Curve, shown.TimeToResponse!.Days, threshold);
            CheckCurve(t.Sessions.Curve, shown.TimeToResponse.Sessions, threshold);
        }
        if (raw.Durability is { } d) CheckCurve(d.Days.Curve, shown.Durability!.Days, threshold);
        foreach (var week in shown.Trajectory?.Weeks ?? [])
            Xunit.Assert.True(week.Mean is null || week.Courses.IsShown, $"week {week.Week}: mean of a hidden count");
    }

    private static IEnumerable<PublishedRate> Rates(PublishedGroup g)
    {
        if (g.Response is { } r)
        {
            yield return r[Measures.ResponseByEndOfInduction];
            yield return r[Measures.RemissionByEndOfInduction];
            yield return r[Measures.ResponseEver];
            yield return r[Measures.RemissionEver];
            yield return r[Measures.ReliableImprovement];
            yield return r[Measures.MinimalClinicallyImportantImprovement];
        }
        if (g.Item9 is { } i)
        {
            yield return i.PositiveAtBaseline;
            yield return i.NewDuringTreatment;
            yield return i.Resolved;
        }
    }

    /// Steps shown must each cover >= threshold events among >= threshold at risk, and with the event total shown
    /// the events outside steps must be 0 or >= threshold.
    private static void CheckCurve(KaplanMeierCurve curve, PublishedSurvival shown, int threshold)
    {
        if (shown.Curve.Count == 0) return;
        Xunit.Assert.True(shown.N.IsShown && shown.Events.IsShown, "a curve with a hidden N or event count is shown");
        var previous = double.NegativeInfinity;
        var inSteps = 0;
        foreach (var step in shown.Curve)
        {
            var rows = curve.Table.Where(r => r.Time > previous && r.Time <= step.Time).ToList();
            var events = rows.Sum(r => r.NEvent);
            Xunit.Assert.True(events >= threshold, $"step at {step.Time} covers {events} events");
            Xunit.Assert.All(rows, r => Xunit.Assert.True(r.NRisk >= threshold, $"row at {r.Time} has {r.NRisk} at risk"));
            inSteps += events;
            previous = step.Time;
        }
        var outside = curve.Events - inSteps;
        Xunit.Assert.True(outside == 0 || outside >= threshold, $"{outside} events outside the steps");
        foreach (var at in shown.SurvivalAt.Where(a => a.Survival is not null))
        {
            var before = curve.Table.Where(r => r.Time <= at.Time).Sum(r => r.NEvent);
            var stepped = curve.Table.Where(r => r.Time <= shown.Curve.Where(s => s.Time <= at.Time).Select(s => s.Time).DefaultIfEmpty(-1).Max())
                .Sum(r => r.NEvent);
            Xunit.Assert.True(before == stepped, $"estimate at {at.Time} shows {before - stepped} events outside steps");
        }
    }

    private sealed class Audit
    {
        private readonly List<(string Name, int Value, int? Known)> _cells = [];
        private readonly Dictionary<(int, string), int> _ids = [];
        private readonly List<(int Parent, int Child)> _nested = [];
        private readonly List<(int Total, int[] Parts)> _partitions = [];
        private readonly HashSet<string> _nonAdditive = ["slope.observations", "slope.courses"];

        private int Cell(int slot, string name, int value, Cell? shown)
        {
            if (_ids.TryGetValue((slot, name), out var id))
            {
                Xunit.Assert.Equal(_cells[id].Value, value);
                Xunit.Assert.Equal(_cells[id].Known, shown?.Value);
                return id;
            }
            id = _cells.Count;
            if (shown?.Value is { } v)
            {
                Xunit.Assert.Equal(value, v);
                Xunit.Assert.Equal(Domain.Cohorts.Cell.Of(v), shown.Value);
            }
            _cells.Add(($"{slot}:{name}", value, shown?.Value));
            _ids[(slot, name)] = id;
            return id;
        }

        private void Chain(params int[] ids)
        {
            for (var i = 1; i < ids.Length; i++) _nested.Add((ids[i - 1], ids[i]));
        }

        public void AddSlot(int s, GroupReport raw, PublishedGroup shown)
        {
            var c = shown.Counts;
            int C(string name, int value, Func<Cell>? cell) => Cell(s, name, value, c is null ? null : cell!());

            var enrolled = C("enrolled", raw.Counts.Enrolled, () => c!.Enrolled);
            var funnel = raw.Counts.Funnel.Select((f, k) => C($"funnel.{f.Sessions}", f.Courses, () => c!.Funnel[k].Courses)).ToArray();
            Chain([enrolled, .. funnel]);
            var withBaseline = C("withBaseline", raw.Counts.WithBaseline, () => c!.WithBaseline);
            var eligible = C("eligible", raw.Counts.Eligible, () => c!.Eligible);
            Chain(funnel[0], withBaseline, eligible);
            _partitions.Add((enrolled,
                raw.Counts.EndReasons.Select((r, k) => C($"end.{r.Reason}", r.Courses, () => c!.EndReasons[k].Courses)).ToArray()));

            if (raw.Response is { } r)
            {
                var p = shown.Response;
                var responders = C("responders", r[Measures.ResponseEver].Events, () => p![Measures.ResponseEver].Events);
                C("eligible", r[Measures.ResponseEver].N, () => p![Measures.ResponseEver].N);
                var remitters = C("remitters", r[Measures.RemissionEver].Events, () => p![Measures.RemissionEver].Events);
                var known = C("inductionKnown", r[Measures.ResponseByEndOfInduction].N, () => p![Measures.ResponseByEndOfInduction].N);
                var byInduction = C("byInduction", r[Measures.ResponseByEndOfInduction].Events, () => p![Measures.ResponseByEndOfInduction].Events);
                var remissionKnown = C("remissionKnown", r[Measures.RemissionByEndOfInduction].N, () => p![Measures.RemissionByEndOfInduction].N);
                var remittedBy = C("remittedBy", r[Measures.RemissionByEndOfInduction].Events, () => p![Measures.RemissionByEndOfInduction].Events);
                var change = C("changeKnown", r[Measures.ReliableImprovement].N, () => p![Measures.ReliableImprovement].N);
                C("changeKnown", r[Measures.MinimalClinicallyImportantImprovement].N, () => p![Measures.MinimalClinicallyImportantImprovement].N);
                var reliable = C("reliable", r[Measures.ReliableImprovement].Events, () => p![Measures.ReliableImprovement].Events);
                var mcid = C("mcid", r[Measures.MinimalClinicallyImportantImprovement].Events, () => p![Measures.MinimalClinicallyImportantImprovement].Events);
                Chain(eligible, responders, remitters, remittedBy);
                Chain(eligible, known, byInduction, remittedBy);
                Chain(responders, byInduction);
                Chain(eligible, remissionKnown, remittedBy);
                Chain(withBaseline, change, mcid, reliable);
            }

            if (raw.TimeToResponse is { } t)
            {
                var p = shown.TimeToResponse;
                C("eligible", t.Days.Curve.N, () => p!.Days.N);
                var responders = C("responders", t.Days.Curve.Events, () => p!.Days.Events);
                Chain(eligible, responders);
                AtRisk(s, "days", eligible, t.Days, p?.Days);
                AtRisk(s, "sessions", eligible, t.Sessions, p?.Sessions);
            }

            if (raw.Durability is { } d)
            {
                var p = shown.Durability;
                var responders = C("responders", d.Days.Curve.N, () => p!.Days.N);
                var ended = C("durabilityEnded", d.Days.Curve.Events, () => p!.Days.Events);
                Chain(eligible, responders, ended);
                AtRisk(s, "durability", responders, d.Days, p?.Days);
            }

            if (raw.Trajectory is { } tr)
            {
                var p = shown.Trajectory;
                foreach (var (w, k) in tr.Weeks.Select((w, k) => (w, k)))
                    Chain(eligible, C($"week.{w.Week}", w.Courses, () => p!.Weeks[k].Courses));
                if (tr.Slope is { } slope)
                    C("slope.observations", slope.Observations, () => p!.Slope!.Observations);
            }

            if (raw.Item9 is { } i9)
            {
                var p = shown.Item9;
                var known = C("item9.known", i9.BaselineKnown, () => p!.BaselineKnown);
                C("item9.known", i9.PositiveAtBaseline.N, () => p!.PositiveAtBaseline.N);
                var positive = C("item9.positive", i9.PositiveAtBaseline.Events, () => p!.PositiveAtBaseline.Events);
                var negative = C("item9.negative", i9.NegativeAtBaseline, () => p!.NegativeAtBaseline);
                var newKnown = C("item9.newKnown", i9.NewDuringTreatment.N, () => p!.NewDuringTreatment.N);
                var newPositive = C("item9.new", i9.NewDuringTreatment.Events, () => p!.NewDuringTreatment.Events);
                var resolvedKnown = C("item9.resolvedKnown", i9.Resolved.N, () => p!.Resolved.N);
                var resolved = C("item9.resolved", i9.Resolved.Events, () => p!.Resolved.Events);
                Chain(withBaseline, known, positive, resolvedKnown, resolved);
                Chain(known, negative, newKnown, newPositive);
                _partitions.Add((known, [positive, negative]));
            }
        }

        private void AtRisk(int s, string axis, int total, SurvivalAnalysis analysis, PublishedSurvival? shown)
        {
            var previous = total;
            for (var k = 0; k < (shown?.AtRisk.Count ?? analysis.AtRisk.Count); k++)
            {
                var time = shown?.AtRisk[k].Time ?? analysis.AtRisk[k].Time;
                var value = analysis.AtRisk.FirstOrDefault(r => r.Time == time).NRisk;
                var id = Cell(s, $"{axis}.atRisk.{time}", value, shown?.AtRisk[k].AtRisk);
                _nested.Add((previous, id));
                previous = id;
            }
        }

        public void AddGroupSums(int slots)
        {
            if (slots < 2) return;
            foreach (var ((slot, name), total) in _ids.Where(kv => kv.Key.Item1 == 0).ToList())
            {
                if (_nonAdditive.Contains(name)) continue;
                var parts = Enumerable.Range(1, slots - 1).Select(g => _ids.TryGetValue((g, name), out var id) ? id : -1).ToArray();
                if (parts.All(p => p >= 0)) _partitions.Add((total, parts));
            }
        }

        public void Solve()
        {
            var ancestors = Closure();
            bool progress;
            do
            {
                progress = false;
                foreach (var (total, parts) in _partitions)
                {
                    var unknown = parts.Where(p => _cells[p].Known is null).ToList();
                    if (_cells[total].Known is { } t && unknown.Count == 1)
                        progress |= Learn(unknown[0], t - parts.Where(p => p != unknown[0]).Sum(p => _cells[p].Known!.Value));
                    else if (_cells[total].Known is null && unknown.Count == 0)
                        progress |= Learn(total, parts.Sum(p => _cells[p].Known!.Value));
                }
                for (var id = 0; id < _cells.Count; id++)
                {
                    if (_cells[id].Known is not null) continue;
                    var above = ancestors[id].Where(a => _cells[a].Known is not null).Select(a => _cells[a].Known!.Value).DefaultIfEmpty(int.MaxValue).Min();
                    var below = Enumerable.Range(0, _cells.Count).Where(d => ancestors[d].Contains(id) && _cells[d].Known is not null)
                        .Select(d => _cells[d].Known!.Value).DefaultIfEmpty(int.MinValue).Max();
                    if (above == below) progress |= Learn(id, above);
                }
            }
            while (progress);
        }

        private bool Learn(int id, int value)
        {
            Xunit.Assert.Equal(_cells[id].Value, value);
            _cells[id] = _cells[id] with { Known = value };
            return true;
        }

        public void Assert(int threshold)
        {
            bool Small(int x) => x >= 1 && x < threshold;
            foreach (var cell in _cells)
                Xunit.Assert.False(cell.Known is { } k && Small(k), $"{cell.Name} = {cell.Known} is known");
            var ancestors = Closure();
            for (var id = 0; id < _cells.Count; id++)
                foreach (var a in ancestors[id])
                    if (_cells[id].Known is { } child && _cells[a].Known is { } parent)
                        Xunit.Assert.False(Small(parent - child), $"{_cells[a].Name} - {_cells[id].Name} = {parent - child}");
            foreach (var (total, parts) in _partitions)
                if (_cells[total].Known is { } t)
                {
                    var hidden = t - parts.Where(p => _cells[p].Known is not null).Sum(p => _cells[p].Known!.Value);
                    Xunit.Assert.False(Small(hidden), $"the hidden cells under {_cells[total].Name} sum to {hidden}");
                }
        }

        private HashSet<int>[] Closure()
        {
            var ancestors = Enumerable.Range(0, _cells.Count).Select(_ => new HashSet<int>()).ToArray();
            foreach (var (parent, child) in _nested) ancestors[child].Add(parent);
            bool grew;
            do
            {
                grew = false;
                foreach (var set in ancestors)
                    foreach (var a in set.ToList())
                        foreach (var further in ancestors[a])
                            grew |= set.Add(further);
            }
            while (grew);
            return ancestors;
        }
    }
}
