using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Exports;

/// What an export needs to know before it reads any course: the cohort, the definitions, the store's time at the
/// export's event-store position (AsOf) and the induction window the induction_window_elapsed column is computed for.
/// The position, not AsOf, decides which facts an export holds: every fact stored at or before it counts, as in a
/// report (CohortMember.AtPosition); AsOf only decides whether an induction window has elapsed.
public sealed record ExportScope(CohortFilter Filter, OutcomeDefinitions Definitions, DateTimeOffset AsOf, int InductionWindowDays)
{
    internal CompiledFilter CompiledFilter { get; } = Filter.Compile();
}

/// One course as an export reads it: its cohort member (the same one a report computes with) and its rows. The
/// subject id and the attribute block are written by the caller, who knows the subject's release level; these
/// methods write the cells after them.
public sealed class ExportedCourse
{
    private readonly CourseFacts _facts;
    private readonly ExportScope _scope;

    private ExportedCourse(CohortMember member, CourseFacts facts, ExportScope scope)
    {
        Member = member;
        _facts = facts;
        _scope = scope;
    }

    public CohortMember Member { get; }

    /// Known at the position and inside the cohort filter: the courses a report over the same filter counts.
    public bool Included => Member.IsKnown && _scope.CompiledFilter.Matches(Member);

    /// The course from every fact stored for it at the export's position (the caller reads no later fact).
    public static ExportedCourse From(CourseKey course, CourseFacts facts, ExportScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return new ExportedCourse(CohortMember.AtPosition(course, facts, scope.Definitions, scope.AsOf), facts, scope);
    }

    public SubjectAttributes Attributes(short clinic) => SubjectAttributes.Of(clinic, Member.Attributes, Member.FirstSessionAt);

    /// The subject's day shifts in a release: over every day its assessment and session rows carry.
    public DayJitter Jitter(ulong key)
    {
        var sessions = SessionTicks();
        if (sessions.Length == 0) return DayJitter.None;
        var first = sessions[0];
        return DayJitter.For(key, sessions.Select(t => DayOf(t, first)).Concat(_facts.Scores.Select(s => DayOf(s.OccurredAt.UtcTicks, first))));
    }

    public void WriteSubject(IRowWriter row, Action<IRowWriter> prefix)
    {
        prefix(row);
        foreach (var column in ExportDatasets.SubjectColumns) column.Write(row, Member.Outcome, _scope);
        row.EndRow();
    }

    /// One row per PHQ-9 stored at the position, in the outcome engine's order, its day shifted by the release's jitter;
    /// returns the number of rows.
    public int WriteAssessments(IRowWriter row, Action<IRowWriter> prefix, DayJitter jitter)
    {
        ArgumentNullException.ThrowIfNull(jitter);
        var sessions = SessionTicks();
        var hasSessions = sessions.Length > 0;
        var first = hasSessions ? sessions[0] : 0L;
        var scores = OutcomeDerivation.SortedScores(_facts.Scores, long.MaxValue);
        var baselineTicks = Member.Outcome.Baseline?.OccurredAt.UtcTicks;
        var sessionsBefore = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var score = scores[i].Score;
            var ticks = scores[i].OccurredAt.UtcTicks;
            while (sessionsBefore < sessions.Length && sessions[sessionsBefore] < ticks) sessionsBefore++;
            var inSeries = !OutcomeDerivation.IsSuperseded(scores, i, hasSessions, first);
            prefix(row);
            row.Integer(hasSessions ? jitter.Day(DayOf(ticks, first)) : null);
            row.Integer(sessionsBefore);
            for (var item = 0; item < Phq9Score.ItemCount; item++) row.Integer(score.Items?[item]);
            row.Integer(score.Total);
            row.Text(SeverityLabels[(int)score.Severity]);
            row.Boolean(score.IsTotalOnly);
            row.Boolean(inSeries);
            row.Boolean(inSeries && ticks == baselineTicks);
            row.EndRow();
        }
        return scores.Length;
    }

    /// One row per treatment session stored at the position, in time order, its day shifted by the release's jitter;
    /// returns the number of rows. The session columns that follow the modality are written as they were given; the
    /// caller withholds them if it must.
    public int WriteSessions(IRowWriter row, Action<IRowWriter> prefix, DayJitter jitter)
    {
        ArgumentNullException.ThrowIfNull(jitter);
        var given = CourseFacts.SessionOrder(_facts.Sessions).ToArray();
        if (given.Length == 0) return 0;
        var first = given[0].OccurredAt.UtcTicks;
        for (var i = 0; i < given.Length; i++)
        {
            var s = given[i];
            prefix(row);
            row.Integer(jitter.Day(DayOf(s.OccurredAt.UtcTicks, first)));
            row.Integer(i + 1);
            row.Text(ModalityLabels[(int)s.Modality]);
            row.Decimal(s.Dose);
            row.Text(DoseUnitLabels[(int)s.DoseUnit]);
            row.Text(RouteLabels[(int)s.Route]);
            row.EndRow();
        }
        return given.Length;
    }

    private long[] SessionTicks()
    {
        var ticks = _facts.Sessions.Select(s => s.OccurredAt.UtcTicks).ToArray();
        Array.Sort(ticks);
        return ticks;
    }

    private static int DayOf(long ticks, long firstTicks) =>
        (int)(ticks / TimeSpan.TicksPerDay - firstTicks / TimeSpan.TicksPerDay);

    internal static readonly string[] SeverityLabels = CohortDimensions.EnumLabels<Phq9Severity>();
    private static readonly string[] ModalityLabels = CohortDimensions.EnumLabels<Modality>();
    private static readonly string[] DoseUnitLabels = CohortDimensions.EnumLabels<DoseUnit>();
    private static readonly string[] RouteLabels = CohortDimensions.EnumLabels<Route>();
    internal static readonly string[] NoBaselineLabels = ["no-sessions", "no-scores", "only-post-treatment-scores", "no-score-in-window"];
}
