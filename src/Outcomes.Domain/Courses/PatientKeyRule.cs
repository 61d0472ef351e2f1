using System.Globalization;
using System.Text.RegularExpressions;
using Outcomes.Contracts;

namespace Outcomes.Domain.Courses;

/// The patient key must be an opaque pseudonymous token. Integration engines sometimes map the wrong
/// source field, or build keys from what they know (name, date of birth); these checks catch the
/// identifiers that most often leak that way, while random tokens pass: a false positive stops a
/// clinic's feed as surely as a leak harms a patient.
///
/// What passes by construction: a short prefix, a separator and a hash in hex or decimal (the form
/// `outcomes pseudonymise` writes, "pk-" and 24 hex digits). Hex letters a-f can spell no word the
/// name check looks for (those words are skipped), a hash is one segment so a date inside it is not
/// a date segment, and a decimal hash of 16 digits or more is not a record number.
public static partial class PatientKeyRule
{
    public const int MinLength = ContractLimits.PatientKeyMinLength;
    public const int MaxLength = ContractLimits.PatientKeyMaxLength;

    /// A run of digits this long is a hash's width (64 bits in hex), longer than record numbers and phone numbers.
    public const int HashDigits = 16;

    /// Null when the key is acceptable, otherwise the rule it breaks (never echoing the value).
    public static string? Check(string key)
    {
        if (key.Contains('@'))
            return "looks like an e-mail address; send an opaque pseudonymous token";
        if (key.Any(char.IsWhiteSpace))
            return "contains spaces and reads like a name; send an opaque pseudonymous token";
        if (key.Length is < MinLength or > MaxLength)
            return $"must be {MinLength}-{MaxLength} characters";
        if (!TokenCharacters().IsMatch(key))
            return "may contain only letters, digits, '-' and '_'";
        if (SsnLike().IsMatch(key))
            return "looks like a social security number";
        if (PhoneLike().IsMatch(key))
            return "looks like a phone number";
        if (CarriesDate(key))
            return "carries a date (e.g. a date of birth); send an opaque pseudonymous token, such as `outcomes pseudonymise` makes";
        if (RecordNumberLike().IsMatch(key) && key.Count(char.IsAsciiDigit) < HashDigits)
            return "looks like a medical record number (a prefix and digits only); send an opaque pseudonymous token";
        if (NameWord(key) is not null)
            return "reads like a name or carries an identifying word; send an opaque pseudonymous token, such as `outcomes pseudonymise` makes";
        if (!key.Any(char.IsAsciiDigit))
            return "has no digits and reads like a name; send an opaque pseudonymous token";
        return null;
    }

    /// A date written with separators anywhere (1980-01-01, 01_02_1980), or a segment between separators that
    /// is a date in eight digits (19800101, 01021980). Digits inside a longer hash are not a segment of their own.
    /// Read on spans: every fact's key passes here, and the strings and match objects of the plain reading were a
    /// twentieth of a backfill's allocations.
    private static bool CarriesDate(string key)
    {
        if (SeparatedDate().IsMatch(key))
            foreach (Match m in SeparatedDate().Matches(key))
                if (IsDate(m.Groups["y"].ValueSpan, m.Groups["a"].ValueSpan, m.Groups["b"].ValueSpan))
                    return true;
        var text = key.AsSpan();
        foreach (var range in text.SplitAny('-', '_'))
        {
            var segment = text[range];
            if (segment.Length != 8 || segment.ContainsAnyExceptInRange('0', '9')) continue;
            if (IsDate(segment[..4], segment[4..6], segment[6..]) || IsDate(segment[4..], segment[..2], segment[2..4]))
                return true;
        }
        return false;
    }

    // Either order of month and day (Europe and the US write both).
    private static bool IsDate(ReadOnlySpan<char> year, ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        var y = int.Parse(year, CultureInfo.InvariantCulture);
        var first = int.Parse(a, CultureInfo.InvariantCulture);
        var second = int.Parse(b, CultureInfo.InvariantCulture);
        return y is >= 1900 and <= 2099 && ((first is >= 1 and <= 12 && second is >= 1 and <= 31) || (second is >= 1 and <= 12 && first is >= 1 and <= 31));
    }

    /// The first name-like word in the key's letters, or null. Words of hex letters only (a-f) are not looked for.
    public static string? NameWord(string key)
    {
        // Runs of one or two letters (most of a hex hash) can hold no word: skipped before any allocation.
        for (var start = 0; start < key.Length;)
        {
            if (!char.IsAsciiLetter(key[start]))
            {
                start++;
                continue;
            }
            var end = start;
            while (end < key.Length && char.IsAsciiLetter(key[end])) end++;
            if (end - start >= 3)
            {
                var letters = key[start..end].ToLowerInvariant();
                if (ShortWords.Contains(letters))
                    return letters;
                if (letters.Length >= 4)
                    foreach (var word in Words)
                        if (word.Length <= letters.Length && letters.Contains(word, StringComparison.Ordinal))
                            return word;
            }
            start = end;
        }
        return null;
    }

    // Words that say what a field is, and common given names and surnames (US census, UK ONS, Spanish INE lists),
    // four letters or more; the three-letter ones only as a whole run of letters.
    private static readonly HashSet<string> ShortWords = ["dob", "dod", "mrn", "ssn", "nhs", "nhi", "ann", "amy", "eva", "ana", "joe", "tom", "tim", "sam", "ben", "dan", "jim", "kim", "lee", "ray", "roy", "ian", "max", "zoe"];

    private static readonly string[] Words = """
        patient birth born name surname first last phone email mail address street record chart medicare medicaid insurance
        james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark donald steven
        paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan
        stephen larry justin scott brandon benjamin samuel gregory alexander frank patrick raymond jack dennis jerry tyler aaron
        jose adam nathan henry douglas zachary peter kyle noah ethan jeremy walter christian keith roger terry austin sean gerald
        carl harold dylan arthur lawrence jordan jesse bryan billy bruce gabriel logan albert willie alan eugene russell vincent
        philip bobby johnny bradley juan carlos luis miguel pedro jorge manuel antonio francisco javier mohammed muhammad ahmed ali
        oliver harry charlie alfie leo oscar archie freddie arlo theo
        mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley kimberly
        emily donna michelle carol amanda dorothy melissa deborah stephanie rebecca sharon laura cynthia kathleen helen anna shirley
        angela brenda pamela emma nicole samantha katherine christine debra rachel carolyn janet catherine maria heather diane ruth
        julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith megan andrea cheryl hannah jacqueline martha
        gloria teresa sara madison frances kathryn janice jean abigail alice judy sophia grace denise amber doris marilyn danielle
        beverly isabella theresa diana natalie brittany charlotte marie kayla alexis lori carmen rosa lucia sofia elena isabel
        amelia isla ava mia ivy lily freya ella
        smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson anderson taylor
        moore jackson martin thompson white harris sanchez clark ramirez lewis robinson walker young allen king wright torres
        nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez phillips evans turner diaz
        parker cruz edwards collins reyes stewart morris morales murphy cook rogers gutierrez ortiz morgan cooper peterson bailey
        reed kelly howard ramos kim cox ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes price
        alvarez castillo sanders patel myers long ross foster jimenez schmidt schneider fischer weber meyer wagner becker schulz
        hoffmann muller mueller dubois moreau laurent simon michel lefebvre leroy rossi russo ferrari esposito bianchi romano
        colombo ricci marino greco fernandez perez sanchez gomez martin ruiz jimenez moreno alonso navarro dominguez vazquez
        """.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)
        .Where(w => w.Length >= 4 && !HexLettersOnly().IsMatch(w)).Distinct().ToArray();

    [GeneratedRegex(@"^[A-Za-z0-9_-]+\z")]
    private static partial Regex TokenCharacters();

    [GeneratedRegex(@"^\d{3}[-_]?\d{2}[-_]?\d{4}\z")]
    private static partial Regex SsnLike();

    [GeneratedRegex(@"^\+?\d{0,3}[-_]?\(?\d{3}\)?[-_]?\d{3}[-_]?\d{4}\z")]
    private static partial Regex PhoneLike();

    // Digits alone, or a short alphabetic prefix before a run of digits (MRN12345678, PT-00012345).
    [GeneratedRegex(@"^([A-Za-z]{1,8}[-_]?)?\d[\d_-]*\z")]
    private static partial Regex RecordNumberLike();

    [GeneratedRegex(@"(?<![0-9])(?:(?<y>(?:19|20)\d{2})[-_](?<a>\d{2})[-_](?<b>\d{2})|(?<a>\d{2})[-_](?<b>\d{2})[-_](?<y>(?:19|20)\d{2}))(?![0-9])")]
    private static partial Regex SeparatedDate();

    [GeneratedRegex("^[a-f]+$")]
    private static partial Regex HexLettersOnly();
}
