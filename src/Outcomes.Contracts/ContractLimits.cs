using System.Text.RegularExpressions;

namespace Outcomes.Contracts;

/// <summary>
/// The limits of contract v1, written once. The records' annotations (and so the published JSON Schemas), the
/// service's reader and the domain's rules (<c>Phq9Score</c>, <c>CourseKey</c>, <c>PatientKeyRule</c>) all read them
/// here; the README's contract tables state the same numbers.
/// </summary>
public static partial class ContractLimits
{
    // Patterns are .NET regular expressions anchored with \z: "$" would also match before a final
    // newline, so "clinic-f\n" would pass. The JSON Schemas carry them in ECMA-262 form (WireSchemas).

    /// <summary>Clinic identifiers: lower-case letters, digits and '-', 2-40 characters, starting with a letter or digit.</summary>
    public const string ClinicIdPattern = @"^[a-z0-9][a-z0-9-]{1,39}\z";

    /// <summary>The rule a malformed clinic id breaks.</summary>
    public const string ClinicIdRule = "must be 2-40 lower-case letters, digits or '-', starting with a letter or digit";

    /// <summary>Whether a value is a well-formed clinic id (<see cref="ClinicIdPattern"/>); the one test of it.</summary>
    public static bool IsClinicId(string? value) => value is not null && ClinicId().IsMatch(value);

    /// <summary>Least length of a patient key.</summary>
    public const int PatientKeyMinLength = 8;

    /// <summary>Greatest length of a patient key.</summary>
    public const int PatientKeyMaxLength = 64;

    /// <summary>Patient keys: an opaque token of letters, digits, '-' and '_' (further identifier checks apply).</summary>
    // {8,64} restates PatientKeyMinLength and PatientKeyMaxLength: attributes need a constant, and C# cannot interpolate
    // an int into one. ContractLimitsTests.PatientKeyPattern_AgreesWithTheLengths holds the two together.
    public const string PatientKeyPattern = @"^[A-Za-z0-9_-]{8,64}\z";

    /// <summary>The first treatment course of a patient at a clinic (also the default).</summary>
    public const int FirstCourse = 1;

    /// <summary>The highest course number.</summary>
    public const int MaxCourse = 99;

    /// <summary>The most prior failed treatment trials an enrolment may state.</summary>
    public const int MaxPriorFailedTrials = 30;

    /// <summary>Highest dose in milligrams.</summary>
    public const int MaxDoseMilligrams = 1000;

    /// <summary>Highest dose in milligrams per kilogram.</summary>
    public const int MaxDoseMilligramsPerKilogram = 5;

    /// <summary>The year of the earliest fact accepted (its first day, UTC), and the earliest enrolment year.</summary>
    public const int EarliestFactYear = 2000;

    /// <summary>The earliest moment a fact may have happened.</summary>
    public static readonly DateTimeOffset EarliestFact = new(EarliestFactYear, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The schema's bound on an enrolment year; the service also refuses a year after the current one.</summary>
    public const int LatestEnrolmentYear = 2100;

    /// <summary>How far ahead of the service's clock a fact may be dated: clinic clocks drift, further is a bad timestamp.</summary>
    public static readonly TimeSpan AllowedClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>The PHQ-9's item count (item 9, thoughts of self-harm, last).</summary>
    public const int Phq9ItemCount = 9;

    /// <summary>The highest score of one PHQ-9 item (each is 0-3).</summary>
    public const int Phq9MaxItem = 3;

    /// <summary>The highest PHQ-9 total (nine items of at most 3).</summary>
    public const int Phq9MaxTotal = Phq9ItemCount * Phq9MaxItem;

    /// <summary>
    /// A contract pattern in ECMA-262 form (JSON Schema, OpenAPI, an HTML input's pattern), where "$" without the
    /// multiline flag matches only at the very end; .NET's "$" also matches before a final newline, so the contract
    /// writes "\z" and ECMA-262 readers get "$".
    /// </summary>
    public static string Ecma(string pattern) => pattern.Replace(@"\z", "$", StringComparison.Ordinal);

    [GeneratedRegex(ClinicIdPattern)]
    private static partial Regex ClinicId();
}
