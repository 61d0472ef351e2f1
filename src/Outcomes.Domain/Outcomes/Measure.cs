using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Exports;

namespace Outcomes.Domain.Outcomes;

/// What kind of figure a measure is, which decides how it is computed and disclosed.
public enum MeasureKind
{
    /// Events among a denominator of courses, with the Wilson 95% interval.
    Rate,

    /// A Kaplan-Meier analysis of a time, censored where the event was not seen.
    TimeToEvent,

    /// A mean of PHQ-9 totals with its interval.
    Mean,
}

/// What a course's part in a rate may depend on besides the course: the report's induction window and the report's
/// day (days since 0001-01-01 UTC), which decides whether an unanswered course's window has passed.
public readonly record struct RateContext(int InductionWindowDays, long AsOfDay);

/// A measure's column in an export's subjects file: the column and its value for one course.
public sealed record MeasureColumn(ExportColumn Column, Func<CourseOutcome, bool?> Value);

/// One measure, defined once: what it is called, what it means, what it counts among which courses, and how it is
/// disclosed. Reports, disclosure, pages and exports read these entries (Measures.All); a new rate is a new entry.
public sealed record Measure
{
    /// The measure's name in a report's JSON (camel-cased there by the serializer's policy): "ResponseEver".
    public required string Key { get; init; }

    /// Its label in CSV rows and page attributes: "response-ever".
    public required string Label { get; init; }

    /// Its title on pages: "Response ever".
    public required string Title { get; init; }

    public required MeasureKind Kind { get; init; }

    /// The report section that carries it.
    public required ReportSection Section { get; init; }

    /// What it means, in a clinic's words, under the definitions in force.
    public required Func<OutcomeDefinitions, string> Definition { get; init; }

    /// The glossary term pages explain it under (PlainLanguage); null when a general term (response, remission, by end
    /// of induction) already explains it.
    public string? Term { get; init; }

    /// What it counts (rates: the events; survival: the event).
    public required string Numerator { get; init; }

    /// Among which courses (rates: the denominator; survival: who is followed).
    public required string Denominator { get; init; }

    /// Rates: one course's part, null when it is not in the denominator, else whether it is an event.
    public Func<CourseOutcome, RateContext, bool?>? Course { get; init; }

    /// The subjects column an export writes for it, if any.
    public MeasureColumn? Column { get; init; }

    /// An offline report over an export reads this measure's column instead of deriving it again: the rule rests on
    /// the order of assessments and sessions, which the export's shifted days need not keep exactly.
    public bool ReadFromExport { get; init; }

    /// Rates: the course's part (see Course), or what its export stated when the measure is read from exports.
    public bool? Of(CourseOutcome outcome, RateContext context)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (ReadFromExport && outcome.StatedByExport is { } stated && stated.TryGetValue(this, out var value)) return value;
        return Course!(outcome, context);
    }

    /// How the measure is published in each tier (analytics/methods/disclosure-control.md).
    public string Disclosure => Kind switch
    {
        MeasureKind.Rate => "own clinics: events, N and the Wilson interval exact; protected: events and N each perturbed by " +
                            "their cell key, the Wilson interval of the perturbed counts",
        MeasureKind.TimeToEvent => "own clinics: the exact Kaplan-Meier curve; protected: a life table of perturbed counts on a fixed grid",
        _ => "own clinics: exact; protected: a perturbed count and perturbed sums, the interval widened by the noise",
    };

    /// This measure's position among the rates (Measures.Rates), the index of its value in a report's rate list.
    public int RateIndex { get; internal set; } = -1;

    public override string ToString() => Key;
}
