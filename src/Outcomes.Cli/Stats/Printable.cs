using System.Globalization;
using System.Text;

namespace Outcomes.Cli.Stats;

/// <summary>
/// Text from a researcher's file as a message may show it: nothing a terminal would act on (escape sequences, a
/// bell, direction overrides) or could not show (bytes that are not UTF-8, unassigned code points) is written raw,
/// and a long cell is shortened, so the message names the problem without reproducing the file.
/// </summary>
internal static class Printable
{
    /// <summary>Longest piece of input text a message quotes in full.</summary>
    public const int QuotedLength = 40;

    /// <summary>Longest line written to standard error: a final guard for messages that quote a library's text.</summary>
    public const int LineLength = 1_000;

    /// <summary>
    /// <paramref name="text"/> quoted, shortened to <see cref="QuotedLength"/> characters with its length stated:
    /// <c>'abc'</c>, <c>'xxxx...' (100,000 characters)</c>. Escaping is left to <see cref="Escape"/>, at output.
    /// </summary>
    public static string Quote(string text)
    {
        if (text.Length <= QuotedLength) return $"'{text}'";
        var cut = char.IsHighSurrogate(text[QuotedLength - 1]) ? QuotedLength - 1 : QuotedLength;
        return $"'{text[..cut]}...' ({text.Length.ToString("N0", CultureInfo.InvariantCulture)} characters)";
    }

    /// <summary>
    /// Control characters as <c>\xHH</c>; format characters, unpaired surrogates, private-use and unassigned code
    /// points and U+FFFD (what a byte that is not UTF-8 was read as) as <c>\uHHHH</c>; all other text as it is.
    /// </summary>
    public static string Escape(string text)
    {
        if (!NeedsEscaping(text)) return text;
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsShown(rune)) escaped.Append(rune.ToString());
            else if (rune.Value < 0x100) escaped.Append(CultureInfo.InvariantCulture, $"\\x{rune.Value:X2}");
            else if (rune.IsBmp) escaped.Append(CultureInfo.InvariantCulture, $"\\u{rune.Value:X4}");
            else escaped.Append(CultureInfo.InvariantCulture, $"\\U{rune.Value:X8}");
        }
        return escaped.ToString();
    }

    /// <summary>One line for standard error: escaped, and cut at <see cref="LineLength"/> characters.</summary>
    public static string Line(string text)
    {
        var escaped = Escape(text);
        return escaped.Length <= LineLength
            ? escaped
            : $"{escaped[..LineLength]}... ({escaped.Length.ToString("N0", CultureInfo.InvariantCulture)} characters)";
    }

    /// <summary>Whether a line of the file holds anything that is not text (a control character other than tab, or a byte that is not UTF-8).</summary>
    public static bool IsBinary(string text)
    {
        foreach (var rune in text.EnumerateRunes())
            if (rune.Value != '\t' && !IsShown(rune)) return true;
        return false;
    }

    private static bool NeedsEscaping(string text)
    {
        foreach (var c in text)
            if (c < 0x20 || c >= 0x7F) return text.EnumerateRunes().Any(rune => !IsShown(rune));
        return false;
    }

    private static bool IsShown(Rune rune) =>
        rune != Rune.ReplacementChar
        && Rune.GetUnicodeCategory(rune) is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator);
}
