using Outcomes.Domain.Courses;

namespace Outcomes.Domain.Tests.Courses;

/// Identifiers in a patient key are refused; random tokens, in the forms integration engines produce, pass.
public sealed class PatientKeyRuleTests
{
    [Theory]
    [InlineData("a1b2c3d4e5f6")]
    [InlineData("K7-q2_ZZ9xw")]
    [InlineData("3f2504e0-4f89-11d3-9a0c-0305e82c3301")]
    // A prefix and a hash in decimal (all digits) or hex: refused as a record number before (issue 11).
    [InlineData("pk-8731029384756102")]
    [InlineData("pk_20190101384756102934")]
    [InlineData("pt-3f9a2b7c1d4e5f60")]
    [InlineData("pk-19800101ab93cd72e1f0")]
    [InlineData("pk-deadbeefcafe0001")]
    [InlineData("pt000123x4a9f2c")]
    public void RandomTokens_Accepted(string key) => Assert.Null(PatientKeyRule.Check(key));

    [Theory]
    // Issue 11's keys: a date of birth or a name inside the key.
    [InlineData("smith-john-19800101", "date")]
    [InlineData("dob_1980-01-01_jsmith", "date")]
    [InlineData("patient_Maria_Garcia_2", "name")]
    [InlineData("JSmith1980x", "name")]
    [InlineData("pk-01-02-1980-x7", "date")]
    [InlineData("x-12311999-q9", "date")]
    [InlineData("jane@example.org", "e-mail")]
    [InlineData("Jane Doe", "name")]
    [InlineData("JaneDoeSmith", "name")]
    [InlineData("123-45-6789", "social security")]
    [InlineData("123456789", "social security")]
    [InlineData("(555)867-5309", "letters, digits")]
    [InlineData("555-867-5309", "phone")]
    [InlineData("5558675309", "phone")]
    [InlineData("MRN00123456", "record number")]
    [InlineData("000123456789012", "record number")]
    [InlineData("abc", "8-64")]
    public void IdentifierLikeKeys_Refused(string key, string rule) => Assert.Contains(rule, PatientKeyRule.Check(key));
}
