using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Cohorts;

/// The disclosure-graph nodes of one slot's counts, with the nesting that holds inside a group:
/// enrolled > reached session 1 > ... > reached the last funnel step; reached session 1 > with baseline
/// (a baseline needs a session) > eligible > responders > responded by the end of induction, ...; the end reasons
/// partition the enrolled. Nodes of sections the report leaves out are -1.
internal sealed class SlotNodes
{
    public int Enrolled, WithBaseline, Eligible;
    public int[] Funnel = [], EndReasons = [];
    public int Responders = -1;
    /// Per measure of Measures.Rates: its events' and its denominator's nodes.
    public (int Events, int Known)[] Rates = [];
    public int[] OnsetDaysAtRisk = [], OnsetSessionsAtRisk = [], DurabilityAtRisk = [];
    public int DurabilityEnded = -1;
    public int[] Weeks = [];
    public int SlopeCourses = -1, SlopeObservations = -1;
    public int Item9Known = -1, Item9Positive = -1, Item9Negative = -1, Item9NewKnown = -1, Item9New = -1,
        Item9ResolvedKnown = -1, Item9Resolved = -1;
    public readonly Dictionary<int, double> AtRiskTimes = [];

    public static SlotNodes Register(DisclosureGraph graph, int slot, GroupReport g, ReportOptions options)
    {
        var n = new SlotNodes();
        int Node(string key, int value) => graph.Node(slot, key, value);
        int Under(int parent, string key, int value)
        {
            var id = Node(key, value);
            graph.Nested(parent, id);
            return id;
        }

        var counts = g.Counts;
        n.Enrolled = Node("enrolled", counts.Enrolled);
        n.Funnel = new int[counts.Funnel.Count];
        var previous = n.Enrolled;
        for (var k = 0; k < counts.Funnel.Count; k++)
            previous = n.Funnel[k] = Under(previous, $"funnel.{counts.Funnel[k].Sessions}", counts.Funnel[k].Courses);
        // A baseline is anchored to the first session, so every course with one reached session 1.
        n.WithBaseline = Under(n.Funnel.Length > 0 ? n.Funnel[0] : n.Enrolled, "withBaseline", counts.WithBaseline);
        n.Eligible = Under(n.WithBaseline, "eligible", counts.Eligible);
        n.EndReasons = counts.EndReasons.Select(r => Node($"end.{r.Reason}", r.Courses)).ToArray();
        graph.Partition(n.Enrolled, n.EndReasons);

        if (g.Response is { } r)
        {
            // Every rate's counts first, then the nesting its table entry states (it may name a later rate's node).
            var byKey = new Dictionary<string, int>(StringComparer.Ordinal) { ["withBaseline"] = n.WithBaseline, ["eligible"] = n.Eligible };
            n.Rates = new (int, int)[Measures.Rates.Count];
            foreach (var measure in Measures.Rates)
            {
                var rate = r[measure];
                var nodes = measure.Nodes!;
                var known = byKey[nodes.Known] = Node(nodes.Known, rate.N);
                var events = byKey[nodes.Events] = Node(nodes.Events, rate.Events);
                n.Rates[measure.RateIndex] = (events, known);
            }
            foreach (var measure in Measures.Rates)
            {
                var nodes = measure.Nodes!;
                var (events, known) = n.Rates[measure.RateIndex];
                if (nodes.KnownUnder is { } under) graph.Nested(byKey[under], known);
                graph.Nested(known, events);
                foreach (var parent in nodes.EventsUnder ?? []) graph.Nested(byKey[parent], events);
            }
            n.Responders = byKey.GetValueOrDefault("responders", -1);
        }

        if (g.TimeToResponse is { } t)
        {
            Node("eligible", t.Days.Curve.N);
            n.Responders = Under(n.Eligible, "responders", t.Days.Curve.Events);
            n.OnsetDaysAtRisk = AtRisk("onset.days", n.Eligible, t.Days, options.AtRiskDays);
            n.OnsetSessionsAtRisk = AtRisk("onset.sessions", n.Eligible, t.Sessions, options.AtRiskSessions);
        }

        if (g.Durability is { } d)
        {
            n.Responders = Under(n.Eligible, "responders", d.Days.Curve.N);
            n.DurabilityEnded = Under(n.Responders, "durability.ended", d.Days.Curve.Events);
            n.DurabilityAtRisk = AtRisk("durability.days", n.Responders, d.Days, options.DurabilityAtRiskDays);
        }

        if (g.Trajectory is { } tr)
        {
            n.Weeks = tr.Weeks.Select(w => Under(n.Eligible, $"week.{w.Week}", w.Courses)).ToArray();
            if (tr.Slope is { } slope)
            {
                // Every eligible course has its baseline in the model, so unsampled it is the eligible count;
                // a subsample's size is the configured cap, and observations are assessments, not courses.
                n.SlopeCourses = slope.Subsampled
                    ? graph.Node(slot, "slope.courses", slope.Courses, additive: false)
                    : Node("eligible", slope.Courses);
                n.SlopeObservations = graph.Node(slot, "slope.observations", slope.Observations, additive: false);
            }
        }

        if (g.Item9 is { } i9)
        {
            n.Item9Known = Under(n.WithBaseline, "item9.known", i9.BaselineKnown);
            n.Item9Positive = Under(n.Item9Known, "item9.positive", i9.PositiveAtBaseline.Events);
            n.Item9Negative = Under(n.Item9Known, "item9.negative", i9.NegativeAtBaseline);
            graph.Partition(n.Item9Known, [n.Item9Positive, n.Item9Negative]);
            n.Item9NewKnown = Under(n.Item9Negative, "item9.newKnown", i9.NewDuringTreatment.N);
            n.Item9New = Under(n.Item9NewKnown, "item9.new", i9.NewDuringTreatment.Events);
            n.Item9ResolvedKnown = Under(n.Item9Positive, "item9.resolvedKnown", i9.Resolved.N);
            n.Item9Resolved = Under(n.Item9ResolvedKnown, "item9.resolved", i9.Resolved.Events);
        }
        return n;

        // At risk at t: courses with time >= t, a shrinking chain under the curve's N.
        int[] AtRisk(string key, int total, SurvivalAnalysis analysis, IReadOnlyList<int> times)
        {
            var sorted = times.Order().ToArray();
            var ids = new int[sorted.Length];
            var parent = total;
            for (var k = 0; k < sorted.Length; k++)
            {
                var row = analysis.AtRisk.FirstOrDefault(a => a.Time == sorted[k]);
                parent = ids[k] = Under(parent, $"{key}.atRisk.{sorted[k]}", analysis.AtRisk.Count == 0 ? 0 : row.NRisk);
                n.AtRiskTimes[ids[k]] = sorted[k];
            }
            return ids;
        }
    }
}
