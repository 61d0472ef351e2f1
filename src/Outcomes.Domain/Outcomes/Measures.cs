using System.Globalization;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Exports;

namespace Outcomes.Domain.Outcomes;

/// The table of measures (analytics/methods/outcome-definitions.md states the rules, OutcomeDerivation derives a
/// course's outcome). Order matters: rates appear in reports, pages and CSV in this order, and glossary terms too.
public static class Measures
{
    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static ExportColumn Flag(string name, string meaning) => new(name, ColumnType.Boolean, true, meaning);

    /// As the outcome engine's ResponseByEndOfInduction, with the report's window: unknown only while an unended
    /// course without the milestone is still inside the window.
    private static bool? ByEndOfInduction(CourseOutcome o, Milestone? milestone, RateContext c)
    {
        if (!o.Eligible) return null;
        if (milestone is { } m) return m.Day <= c.InductionWindowDays;
        var elapsed = o.FirstSessionAt is { } first && c.AsOfDay - first.UtcTicks / TimeSpan.TicksPerDay >= c.InductionWindowDays;
        return o.CourseEnded || elapsed ? false : null;
    }

    public static Measure ResponseByEndOfInduction { get; } = new()
    {
        Key = "ResponseByEndOfInduction", Label = "response-by-end-of-induction", Title = "Response by end of induction",
        Kind = MeasureKind.Rate, Section = ReportSection.Response,
        Definition = d => $"a PHQ-9 at least {N(d.ResponseMinimumDropFraction * 100)} % below baseline within the induction window",
        Numerator = "courses whose response onset is on or before the window's last day",
        Denominator = "eligible courses whose answer is known: responded in the window, past it, or ended",
        Course = (o, c) => ByEndOfInduction(o, o.FirstResponse, c),
        Column = new(Flag("response_by_end_of_induction", "Eligible courses: response on or before the definitions' induction " +
            "window; empty while still unknown."), o => o.ResponseByEndOfInduction),
    };

    public static Measure RemissionByEndOfInduction { get; } = new()
    {
        Key = "RemissionByEndOfInduction", Label = "remission-by-end-of-induction", Title = "Remission by end of induction",
        Kind = MeasureKind.Rate, Section = ReportSection.Response,
        Definition = d => $"a PHQ-9 below {d.RemissionBelowTotal} within the induction window",
        Numerator = "courses whose first remission is on or before the window's last day",
        Denominator = "eligible courses whose answer is known: remitted in the window, past it, or ended",
        Course = (o, c) => ByEndOfInduction(o, o.FirstRemission, c),
    };

    /// Response by session 6: decided at the assessment that decides session 6 (SessionReview), as the non-response
    /// signal is. A response before it counts even if no PHQ-9 followed the sixth session; a course that ended
    /// undecided counts as a non-responder (intention to treat); an ongoing undecided course is not yet counted.
    private static bool? BySession6(CourseOutcome o)
    {
        if (!o.Eligible) return null;
        var series = o.SeriesSpan();
        var deciding = SessionReview.DecidingAssessment(series, SessionReview.BaselineIndex(o, series));
        // After the baseline the series holds one assessment per day, so days order them.
        if (o.FirstResponse is { } onset && (deciding < 0 || onset.Day <= series[deciding].Day)) return true;
        return deciding >= 0 || o.CourseEnded ? false : null;
    }

    public static Measure ResponseBySession6 { get; } = new()
    {
        Key = "ResponseBySession6", Label = "response-by-session-6", Title = "Response by session 6", Term = "response by session 6",
        Kind = MeasureKind.Rate, Section = ReportSection.Response,
        Definition = d => $"a PHQ-9 at least {N(d.ResponseMinimumDropFraction * 100)} % below baseline at or before the first PHQ-9 " +
                          $"after the {SessionReview.Sessions}th session; a course that ended before it counts as not responded",
        Numerator = "courses whose response onset is at or before the first assessment after the sixth session",
        Denominator = "eligible courses whose answer is known: responded by then, assessed after the sixth session, or ended",
        Course = (o, _) => BySession6(o),
        Column = new(Flag("response_by_session_6", "Eligible courses: response at or before the first PHQ-9 after the sixth session " +
            "(false if the course ended before it); empty while still unknown."), BySession6),
        ReadFromExport = true,
    };

    public static Measure ResponseEver { get; } = new()
    {
        Key = "ResponseEver", Label = "response-ever", Title = "Response ever",
        Kind = MeasureKind.Rate, Section = ReportSection.Response,
        Definition = d => $"a PHQ-9 at least {N(d.ResponseMinimumDropFraction * 100)} % below baseline at any assessment",
        Numerator = "courses with a response onset", Denominator = "eligible courses",
        Course = (o, _) => o.Eligible ? o.FirstResponse is not null : null,
    };

    public static Measure RemissionEver { get; } = new()
    {
        Key = "RemissionEver", Label = "remission-ever", Title = "Remission ever",
        Kind = MeasureKind.Rate, Section = ReportSection.Response,
        Definition = d => $"a PHQ-9 below {d.RemissionBelowTotal} at any assessment",
        Numerator = "courses with a remission", Denominator = "eligible courses",
        Course = (o, _) => o.Eligible ? o.FirstRemission is not null : null,
        Column = new(Flag("remission_ever", "Eligible courses: whether a post-baseline total fell below the remission threshold."),
            o => o.RemissionEver),
    };

    public static Measure TimeToResponse { get; } = new()
    {
        Key = "TimeToResponse", Label = "time-to-response", Title = "Time to response", Term = "time to response",
        Kind = MeasureKind.TimeToEvent, Section = ReportSection.TimeToResponse,
        Definition = _ => "days (or sessions) from the first session to the first response; courses without one count until their last PHQ-9",
        Numerator = "response onset", Denominator = "eligible courses, non-responders censored at their last assessment",
    };

    public static Measure Durability { get; } = new()
    {
        Key = "Durability", Label = "durability", Title = "Durability of response", Term = "durability",
        Kind = MeasureKind.TimeToEvent, Section = ReportSection.Durability,
        Definition = d => d.Durability == DurabilityDefinition.LossOfResponse
            ? $"time from response to loss of response: {d.LossOfResponseConsecutiveAssessments} PHQ-9s in a row, at least " +
              $"{d.LossOfResponseMinimumGapDays} days apart, no longer meeting the response rule"
            : $"time from response to relapse: {d.RelapseConsecutiveAssessments} PHQ-9s in a row of {d.RelapseMinimumTotal} or more, " +
              $"{d.RelapseMinimumGapDays}-{d.RelapseMaximumGapDays} days apart",
        Numerator = "loss of response or relapse, as the definitions choose",
        Denominator = "responders, from onset, censored at their last assessment",
    };

    public static Measure ReliableImprovement { get; } = new()
    {
        Key = "ReliableImprovement", Label = "reliable-improvement", Title = "Reliable improvement", Term = "reliable improvement",
        Kind = MeasureKind.Rate, Section = ReportSection.Response,
        Definition = d => $"a drop of {d.ReliableImprovementMinimumDrop} or more points from baseline to the last PHQ-9",
        Numerator = "courses improved by the reliable-improvement drop",
        Denominator = "courses with a baseline and a later assessment",
        Course = (o, _) => o.ReliableImprovement,
        // Reliable improvement (a drop of 6) is within MCID (a drop of 5) under the default definitions.
        Column = new(Flag("reliable_improvement", "A drop of at least the reliable-improvement threshold (6 by default)."),
            o => o.ReliableImprovement),
    };

    public static Measure MinimalClinicallyImportantImprovement { get; } = new()
    {
        Key = "MinimalClinicallyImportantImprovement", Label = "minimal-clinically-important-improvement",
        Title = "Minimal clinically important improvement", Term = "minimal clinically important improvement",
        Kind = MeasureKind.Rate, Section = ReportSection.Response,
        Definition = d => $"a drop of {d.MinimalClinicallyImportantDrop} or more points from baseline to the last PHQ-9",
        Numerator = "courses improved by the minimal clinically important difference",
        Denominator = "courses with a baseline and a later assessment",
        Course = (o, _) => o.MinimalClinicallyImportantImprovement,
        Column = new(Flag("mcid_improvement", "A drop of at least the minimal clinically important difference (5 by default)."),
            o => o.MinimalClinicallyImportantImprovement),
    };

    public static Measure Trajectory { get; } = new()
    {
        Key = "Trajectory", Label = "trajectory", Title = "PHQ-9 trajectory",
        Kind = MeasureKind.Mean, Section = ReportSection.Trajectory,
        Definition = _ => "mean PHQ-9 by week since the first session, and its slope per week from a mixed model",
        Numerator = "each course's last PHQ-9 total in the week", Denominator = "eligible courses with a PHQ-9 in the week",
    };

    public static Measure Item9 { get; } = new()
    {
        Key = "Item9", Label = "item9", Title = "Thoughts of self-harm (PHQ-9 item-9)", Term = "item 9",
        Kind = MeasureKind.Rate, Section = ReportSection.Item9,
        Definition = _ => "the PHQ-9 question on thoughts of being better off dead or of hurting oneself; positive when scored 1 or more",
        Numerator = "positive at baseline; new during treatment; resolved",
        Denominator = "courses with an itemised baseline; of those, at 0 (new) or positive (resolved) with a later item 9",
    };

    /// Every measure, in report order.
    public static IReadOnlyList<Measure> All { get; } =
    [
        ResponseByEndOfInduction, RemissionByEndOfInduction, ResponseBySession6, ResponseEver, RemissionEver,
        TimeToResponse, Durability, ReliableImprovement, MinimalClinicallyImportantImprovement,
        Trajectory, Item9,
    ];

    /// The rates a report's response section tallies per course, in the order reports list them.
    public static IReadOnlyList<Measure> Rates { get; } = IndexRates();

    private static Measure[] IndexRates()
    {
        var rates = All.Where(m => m.Course is not null).ToArray();
        for (var i = 0; i < rates.Length; i++) rates[i].RateIndex = i;
        return rates;
    }

    /// The rate with this key (as a report's JSON names it, any case), or null.
    public static Measure? RateNamed(string key) =>
        Rates.FirstOrDefault(m => string.Equals(m.Key, key, StringComparison.OrdinalIgnoreCase));
}
