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
        // The general terms, then every measure that has a term of its own, in the table's order.
        return
        [
            new("baseline", $"the last PHQ-9 on or before the first session, at most {d.BaselineWindowDays} days before it"),
            new("eligible", $"a course with a baseline PHQ-9 of {d.EligibilityMinimumBaseline} or more; rates and curves count eligible courses"),
            new("response", $"a PHQ-9 at least {N(d.ResponseMinimumDropFraction * 100)} % below baseline"),
            new("remission", $"a PHQ-9 below {d.RemissionBelowTotal}"),
            new("by end of induction", $"within {d.InductionWindowDays} days of the first session"),
            .. Measures.All.Where(m => m.Term is not null).Select(m => new PlainDefinition(m.Term!, m.Definition(d))),
        ];
    }
}
