using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Cohorts;

/// The survival data of the eligible courses, as parallel arrays the statistics library takes directly:
/// time to response on both axes, and, for responders, time from onset to the end of response.
internal sealed class EligibleCourses(int capacity)
{
    private int[] _member = new int[capacity];
    private int[] _slot = new int[capacity];
    private double[] _onsetDays = new double[capacity];
    private double[] _onsetSessions = new double[capacity];
    private int[] _responded = new int[capacity];
    private string[] _label = new string[capacity];
    private double[] _baselineTotal = new double[capacity];
    private double[] _durabilityDays = new double[capacity];
    private int[] _durabilityEnded = new int[capacity];
    private string[] _durabilityLabel = new string[capacity];
    private int[] _durabilitySlot = new int[capacity];
    private int[] _durabilityMember = new int[capacity];
    private bool _trimmed;

    public int Count { get; private set; }
    public int Responders { get; private set; }

    public void Add(int member, int slot, CourseOutcome outcome, string label)
    {
        var k = Count++;
        _member[k] = member;
        _slot[k] = slot;
        var onset = outcome.ResponseOnset.GetValueOrDefault();
        _onsetDays[k] = onset.Day;
        _onsetSessions[k] = onset.SessionsReceived;
        _responded[k] = onset.Responded ? 1 : 0;
        _label[k] = label;
        _baselineTotal[k] = outcome.Baseline.GetValueOrDefault().Total;
        if (outcome.Durability is not { } durability) return;
        var r = Responders++;
        _durabilityDays[r] = durability.DaysFromOnset;
        _durabilityEnded[r] = durability.Event ? 1 : 0;
        _durabilityLabel[r] = label;
        _durabilitySlot[r] = slot;
        _durabilityMember[r] = member;
    }

    public double[] OnsetDays => Trimmed()._onsetDays;
    public double[] OnsetSessions => Trimmed()._onsetSessions;
    public int[] Responded => Trimmed()._responded;
    public string[] Labels => Trimmed()._label;
    public double[] BaselineTotals => Trimmed()._baselineTotal;
    public int[] Slots => Trimmed()._slot;
    public double[] DurabilityDays => Trimmed()._durabilityDays;
    public int[] DurabilityEnded => Trimmed()._durabilityEnded;
    public string[] DurabilityLabels => Trimmed()._durabilityLabel;
    public int[] DurabilitySlots => Trimmed()._durabilitySlot;

    /// The member index of each eligible course, and of each responder in the durability arrays.
    public int[] Members => Trimmed()._member;
    public int[] DurabilityMembers => Trimmed()._durabilityMember;

    /// Ends adding: trims the arrays to their counts. Call before reading from several threads at once.
    public void Complete() => Trimmed();

    /// Member indices of the eligible courses in a slot (0: all).
    public IEnumerable<int> MembersOf(int slot)
    {
        for (var k = 0; k < Count; k++)
            if (slot == 0 || _slot[k] == slot) yield return _member[k];
    }

    private EligibleCourses Trimmed()
    {
        if (_trimmed) return this;
        Array.Resize(ref _member, Count);
        Array.Resize(ref _slot, Count);
        Array.Resize(ref _onsetDays, Count);
        Array.Resize(ref _onsetSessions, Count);
        Array.Resize(ref _responded, Count);
        Array.Resize(ref _label, Count);
        Array.Resize(ref _baselineTotal, Count);
        Array.Resize(ref _durabilityDays, Responders);
        Array.Resize(ref _durabilityEnded, Responders);
        Array.Resize(ref _durabilityLabel, Responders);
        Array.Resize(ref _durabilitySlot, Responders);
        Array.Resize(ref _durabilityMember, Responders);
        _trimmed = true;
        return this;
    }
}
