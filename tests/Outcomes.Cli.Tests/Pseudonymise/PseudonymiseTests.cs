using Outcomes.Cli.Pseudonymise;
using Outcomes.Domain.Courses;

namespace Outcomes.Cli.Tests.Pseudonymise;

public sealed class PseudonymiseTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();

    [Fact]
    public void MillionGeneratedKeys_NoneRefusedByThePatientKeyRule()
    {
        // Record ids as clinics have them: sequential numbers, prefixed MRNs, dates of birth with initials (the
        // identifiers the rule refuses must vanish in the hash). Issue 11: a false-positive rate of 0 on 1,000,000.
        var pseudonym = new PatientPseudonym(Key);
        var refused = 0;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 1_000_000; i++)
        {
            var recordId = (i % 3) switch { 0 => i.ToString(), 1 => $"MRN{i:D8}", _ => $"smith-john-1980{i % 12 + 1:D2}{i % 28 + 1:D2}-{i}" };
            var key = pseudonym.KeyOf("clinic-a", recordId);
            if (PatientKeyRule.Check(key) is not null) refused++;
            keys.Add(key);
        }
        Assert.Equal(0, refused);
        Assert.Equal(1_000_000, keys.Count);
    }

    [Fact]
    public void SameRecord_SameKey_OtherClinicOrKey_OtherKey()
    {
        var a = new PatientPseudonym(Key);
        var b = new PatientPseudonym(Key.Reverse().ToArray());
        Assert.Equal(a.KeyOf("clinic-a", "MRN001"), a.KeyOf("clinic-a", "MRN001"));
        Assert.NotEqual(a.KeyOf("clinic-a", "MRN001"), a.KeyOf("clinic-b", "MRN001"));
        Assert.NotEqual(a.KeyOf("clinic-a", "MRN001"), b.KeyOf("clinic-a", "MRN001"));
        Assert.Matches("^pk-[0-9a-f]{24}$", a.KeyOf("clinic-a", "MRN001"));
    }

    [Fact]
    public async Task Command_CreatesKeyAndPrintsOneKeyPerRecordInOrder()
    {
        var folder = Directory.CreateTempSubdirectory("pseudonymise-");
        try
        {
            var keyFile = Path.Combine(folder.FullName, "clinic-a.key");
            var output = new StringWriter();
            var root = new System.CommandLine.RootCommand { PseudonymiseCommand.Create() };
            var config = new System.CommandLine.InvocationConfiguration { Output = output, Error = new StringWriter() };
            var exit = await root.Parse(["pseudonymise", "--key-file", keyFile, "--clinic", "clinic-a", "--create-key", "MRN001", "MRN002"]).InvokeAsync(config);

            Assert.Equal(0, exit);
            var expected = PatientPseudonym.FromKeyFile(keyFile);
            Assert.Equal([expected.KeyOf("clinic-a", "MRN001"), expected.KeyOf("clinic-a", "MRN002")],
                output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            // A second --create-key would change every key: refused.
            Assert.Equal(1, await root.Parse(["pseudonymise", "--key-file", keyFile, "--clinic", "clinic-a", "--create-key", "x"]).InvokeAsync(config));
        }
        finally
        {
            folder.Delete(true);
        }
    }
}
