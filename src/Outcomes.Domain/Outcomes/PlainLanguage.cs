using System.Globalization;

namespace Outcomes.Domain.Outcomes;

/// A term a page uses and what it means under the definitions in force.
public sealed record PlainDefinition(string Term, string Meaning);

/// The outcome definitions in force, in a clinic's words, written from their thresholds so a page never states a
/// rule the computation does not use.
public static class PlainLanguage
{
    public static IReadOnlyList<PlainDefinition> Of(OutcomeDefinitions d)
    {
        ArgumentNullException.ThrowIfNull(d);
        string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
        var durability = d.Durability == DurabilityDefinition.LossOfResponse
            ? $"time from response to loss of response: {d.LossOfResponseConsecutiveAssessments} PHQ-9s in a row, at least " +
              $"{d.LossOfResponseMinimumGapDays} days apart, no longer meeting the response rule"
            : $"time from response to relapse: {d.RelapseConsecutiveAssessments} PHQ-9s in a row of {d.RelapseMinimumTotal} or more, " +
              $"{d.RelapseMinimumGapDays}-{d.RelapseMaximumGapDays} days apart";
        return
        [
            new("baseline", $"the last PHQ-9 on or before the first session, at most {d.BaselineWindowDays} days before it"),
            new("eligible", $"a course with a baseline PHQ-9 of {d.EligibilityMinimumBaseline} or more; rates and curves count eligible courses"),
            new("response", $"a PHQ-9 at least {N(d.ResponseMinimumDropFraction * 100)} % below baseline"),
            new("remission", $"a PHQ-9 below {d.RemissionBelowTotal}"),
            new("by end of induction", $"within {d.InductionWindowDays} days of the first session"),
            new("time to response", "days (or sessions) from the first session to the first response; courses without one count until their last PHQ-9"),
            new("durability", durability),
            new("reliable improvement", $"a drop of {d.ReliableImprovementMinimumDrop} or more points from baseline to the last PHQ-9"),
            new("minimal clinically important improvement", $"a drop of {d.MinimalClinicallyImportantDrop} or more points from baseline to the last PHQ-9"),
            new("item 9", "the PHQ-9 question on thoughts of being better off dead or of hurting oneself; positive when scored 1 or more"),
        ];
    }
}
