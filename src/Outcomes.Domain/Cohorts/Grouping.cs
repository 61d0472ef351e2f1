namespace Outcomes.Domain.Cohorts;

/// Which members a report covers and which group each falls in. Slot 0 is the whole cohort; groups are slots
/// 1..G in label order (clinic ids ordinally, the other dimensions in their natural order, "no-..." last).
internal sealed class Grouping
{
    private Grouping(int[] slot, string[] labels, bool isGrouped)
    {
        Slot = slot;
        Labels = labels;
        IsGrouped = isGrouped;
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var g = 0; g < labels.Length; g++) rank[labels[g]] = g;
        Order = Comparer<string>.Create((a, b) => rank[a].CompareTo(rank[b]));
    }

    /// Per member: -1 if left out, 0 if the report is not grouped, else the group's slot.
    public int[] Slot { get; }

    public string[] Labels { get; }

    public bool IsGrouped { get; }

    /// Group labels in report order, for the statistics library's group ordering.
    public IComparer<string> Order { get; }

    public int Included { get; private init; }

    public string LabelOfSlot(int slot) => slot == 0 ? "" : Labels[slot - 1];

    public static Grouping Of(IReadOnlyList<CohortMember> members, ReportDefinition definition, ReportProvenance provenance)
    {
        var filter = definition.Filter.Compile();
        var dimension = definition.GroupBy;
        var slot = new int[members.Count];
        var clinics = dimension == CohortDimension.Clinic ? new Dictionary<string, int>(StringComparer.Ordinal) : null;
        var codes = new HashSet<int>();
        var included = 0;
        for (var i = 0; i < members.Count; i++)
        {
            var member = members[i] ?? throw new ArgumentException($"members[{i}] is null", nameof(members));
            RequireProvenance(member, i, provenance);
            if (!member.IsKnown || !filter.Matches(member))
            {
                slot[i] = -1;
                continue;
            }
            included++;
            if (dimension is not { } d) continue;
            int code;
            if (clinics is not null)
            {
                if (!clinics.TryGetValue(member.ClinicId, out code))
                {
                    code = clinics.Count;
                    clinics.Add(member.ClinicId, code);
                }
            }
            else code = CohortDimensions.Code(member, d);
            slot[i] = code;
            codes.Add(code);
        }
        if (dimension is not { } grouped) return new Grouping(slot, [], false) { Included = included };

        string[] labels;
        Dictionary<int, int> slotOfCode;
        if (clinics is not null)
        {
            labels = clinics.Keys.Order(StringComparer.Ordinal).ToArray();
            slotOfCode = clinics.ToDictionary(kv => kv.Value, kv => Array.IndexOf(labels, kv.Key) + 1);
        }
        else
        {
            var sorted = codes.Order().ToArray();
            labels = sorted.Select(c => grouped == CohortDimension.FirstSessionPeriod
                ? CohortDimensions.PeriodLabel(c)
                : CohortDimensions.FixedLabels(grouped)![c]).ToArray();
            slotOfCode = new Dictionary<int, int>(sorted.Length);
            for (var g = 0; g < sorted.Length; g++) slotOfCode[sorted[g]] = g + 1;
        }
        for (var i = 0; i < slot.Length; i++)
            if (slot[i] >= 0) slot[i] = slotOfCode[slot[i]];
        return new Grouping(slot, labels, true) { Included = included };
    }

    private static void RequireProvenance(CohortMember member, int i, ReportProvenance provenance)
    {
        var o = member.Outcome ?? throw new ArgumentException($"members[{i}] has no outcome", "members");
        if (o.DefinitionsId != provenance.DefinitionsId || o.DefinitionsVersion != provenance.DefinitionsVersion)
            throw new ArgumentException(
                $"members[{i}] ({member.Course}) was derived under definitions {o.DefinitionsId}/{o.DefinitionsVersion}, " +
                $"but the report states {provenance.DefinitionsId}/{provenance.DefinitionsVersion}", "members");
        if (o.AsOf != provenance.AsOf)
            throw new ArgumentException(
                $"members[{i}] ({member.Course}) was derived as of {o.AsOf:O}, but the report states {provenance.AsOf:O}", "members");
    }
}
