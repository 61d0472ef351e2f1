using System.Globalization;

namespace Outcomes.Cli.Fhir;

/// <summary>
/// PHQ-9 as LOINC codes it (docs/fhir.md). Items are placed by their code, never by their position in an
/// array: EHRs send QuestionnaireResponse items and panel members in any order.
/// </summary>
public static class Phq9Loinc
{
    public const string System = "http://loinc.org";
    public const string Panel = "44249-1";
    public const string Total = "44261-6";
    /// <summary>"How difficult have these problems made it": asked with the PHQ-9, not part of its score.</summary>
    public const string Difficulty = "69722-7";

    /// <summary>The nine item codes in questionnaire order (item 9, self-harm, last).</summary>
    public static readonly IReadOnlyList<string> Items =
        ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"];

    private static readonly Dictionary<string, int> ItemIndex = Items.Select((code, i) => (code, i)).ToDictionary(p => p.code, p => p.i);

    /// <summary>LOINC answer list LL358-3 (frequency over the last two weeks).</summary>
    private static readonly Dictionary<string, int> AnswerScores = new(StringComparer.OrdinalIgnoreCase)
    {
        ["LA6568-5"] = 0, ["LA6569-3"] = 1, ["LA6570-1"] = 2, ["LA6571-9"] = 3,
    };

    // The answer list's own wording, which some systems send as a string instead of the code.
    private static readonly Dictionary<string, int> AnswerTexts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["not at all"] = 0, ["several days"] = 1, ["more than half the days"] = 2, ["nearly every day"] = 3,
    };

    /// <summary>0-8 for an item code, -1 otherwise.</summary>
    public static int IndexOf(string? code) => code is not null && ItemIndex.TryGetValue(code, out var i) ? i : -1;

    public static bool IsItem(string? code) => IndexOf(code) >= 0;

    /// <summary>
    /// The LOINC code a QuestionnaireResponse item stands for, found in its linkId or definition: forms use
    /// "44250-9", "/44249-1/44250-9" or "http://loinc.org/q/44249-1#44250-9" alike, so the last code-shaped
    /// segment counts.
    /// </summary>
    public static string? CodeIn(string? linkIdOrDefinition)
    {
        if (string.IsNullOrEmpty(linkIdOrDefinition)) return null;
        var segments = linkIdOrDefinition.Split(['/', '#', '|', ':', '.'], StringSplitOptions.RemoveEmptyEntries);
        for (var i = segments.Length - 1; i >= 0; i--)
        {
            var s = segments[i].Trim();
            if (IsItem(s) || s is Total or Difficulty or Panel) return s;
        }
        return null;
    }

    /// <summary>The score of a coded answer, or null when the code is not on the PHQ-9 answer list.</summary>
    public static int? ScoreOfAnswerCode(string? code) => code is not null && AnswerScores.TryGetValue(code.Trim(), out var s) ? s : null;

    /// <summary>
    /// A score sent as text: a digit "0".."3" (or "2.0") or the answer list's wording. Null when it is neither,
    /// e.g. a free-text comment; such an answer is treated as missing.
    /// </summary>
    public static int? ScoreOfText(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim();
        if (decimal.TryParse(t, NumberStyles.Number, CultureInfo.InvariantCulture, out var number))
            return WholeNumber(number);
        return AnswerTexts.TryGetValue(t, out var s) ? s : null;
    }

    /// <summary>A whole number, or null when the value has a fraction (2.5 is no PHQ-9 score).</summary>
    public static int? WholeNumber(decimal value) =>
        value == decimal.Truncate(value) && value is >= int.MinValue and <= int.MaxValue ? (int)value : null;
}
