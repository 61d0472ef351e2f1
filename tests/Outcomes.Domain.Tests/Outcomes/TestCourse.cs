using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Tests.Outcomes;

/// Builds one course's facts on a day axis whose day 0 is the first session's UTC date, so scenarios read as the
/// hand computation does: sessions at 10:00, PHQ-9s at 09:00 unless a scenario says otherwise.
internal sealed class TestCourse
{
    public static readonly DateTimeOffset DayZero = new(2024, 3, 4, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset FarFuture = DayZero.AddYears(5);

    private readonly List<TreatmentSessionGiven> _sessions = [];
    private readonly List<Phq9Completed> _scores = [];
    private PatientEnrolled? _enrolment;
    private CourseEnded? _ended;

    public static DateTimeOffset At(int day, double hour) => DayZero.AddDays(day).AddHours(hour);

    public TestCourse Enrolled(int day)
    {
        _enrolment = new PatientEnrolled(At(day, 8), AgeBand.From35To44, Sex.Female,
            DiagnosisGroup.TreatmentResistantDepression, 2, Modality.IvKetamine, 2024);
        return this;
    }

    public TestCourse Sessions(params int[] days)
    {
        foreach (var day in days) SessionAt(At(day, 10));
        return this;
    }

    public TestCourse SessionAt(DateTimeOffset at)
    {
        _sessions.Add(new TreatmentSessionGiven(at, Modality.IvKetamine, 0.5m, DoseUnit.MilligramsPerKilogram, Route.Intravenous));
        return this;
    }

    /// A fully itemised PHQ-9 with the given total and item 9 (by default 0, or what a total over 24 forces).
    public TestCourse Score(int day, int total, int? item9 = null, double hour = 9) =>
        ScoreAt(At(day, hour), Items(total, item9 ?? Math.Max(0, total - 8 * Phq9Score.MaxItem)));

    public TestCourse TotalOnly(int day, int total, double hour = 9) =>
        ScoreAt(At(day, hour), Phq9Score.Create(null, total).Score!);

    public TestCourse ScoreAt(DateTimeOffset at, Phq9Score score)
    {
        _scores.Add(new Phq9Completed(at, score));
        return this;
    }

    public TestCourse Ended(int day, CourseEndReason reason = CourseEndReason.Completed)
    {
        _ended = new CourseEnded(At(day, 12), reason);
        return this;
    }

    public CourseFacts Facts() => new(_enrolment, _sessions.ToArray(), _scores.ToArray(), _ended);

    public CourseOutcome Derive(OutcomeDefinitions? definitions = null, DateTimeOffset? asOf = null) =>
        CourseOutcome.Derive(Facts(), definitions ?? OutcomeDefinitions.Default, asOf ?? FarFuture);

    /// Spreads total minus item 9 over items 1-8, each at most 3.
    public static Phq9Score Items(int total, int item9)
    {
        var items = new int[Phq9Score.ItemCount];
        items[8] = item9;
        var rest = total - item9;
        for (var i = 0; i < 8 && rest > 0; i++)
        {
            items[i] = Math.Min(Phq9Score.MaxItem, rest);
            rest -= items[i];
        }
        if (rest != 0) throw new ArgumentException($"total {total} with item 9 = {item9} cannot be itemised");
        return Phq9Score.Create(items, total).Score!;
    }
}
