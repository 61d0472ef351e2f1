using Outcomes.Contracts;

namespace Outcomes.Domain.Courses;

/// A patient's treatment course at one clinic: the identity of one event stream.
public sealed record CourseKey(string ClinicId, string PatientKey, int Course) : IUtf8SpanFormattable
{
    public const int FirstCourse = ContractLimits.FirstCourse;

    /// The stream key; the separator cannot occur in either identifier because both are validated tokens.
    public override string ToString() => $"{ClinicId}/{PatientKey}/{Course}";

    /// The stream key's text (as ToString) written as UTF-8 without a string between: every fact's content hash and
    /// every signal id hash it, interpolated into System.Text.Unicode.Utf8.TryWrite.
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        System.Text.Unicode.Utf8.TryWrite(utf8Destination, provider, $"{ClinicId}/{PatientKey}/{Course}", out bytesWritten);

    public static CourseKey Parse(string streamKey) =>
        TryParse(streamKey, out var course)
            ? course!
            : throw new FormatException($"'{streamKey}' is not a course stream key (clinic/patientKey/course)");

    /// Whether a stream key is a course's (other streams, such as the export audit, share the store).
    public static bool TryParse(string? streamKey, out CourseKey? course)
    {
        course = null;
        var parts = streamKey?.Split('/');
        if (parts is not { Length: 3 } || !int.TryParse(parts[2], out var number)) return false;
        course = new CourseKey(parts[0], parts[1], number);
        return true;
    }
}
