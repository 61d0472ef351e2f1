using Outcomes.Domain.Courses;
using Outcomes.Domain.Exports;

namespace Outcomes.Domain.Tests.Exports;

public class ExportKeysTests
{
    private static readonly CourseKey Course = new("clinic-a", "p00001", 1);
    private static readonly DateTimeOffset CutAt = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static byte[] Seed(int release = 1, long position = 4242) => ExportKeys.ReleaseSeed(TestExport.Key, release, position, CutAt);

    [Fact]
    public void SameRelease_GivesTheSameSeedAndIds()
    {
        using var first = new ExportKeys(TestExport.Key, Seed());
        using var second = new ExportKeys(TestExport.Key, Seed());

        Assert.Equal(first.SubjectKey(Course), second.SubjectKey(Course));
        Assert.Equal(first.ClinicCodes(["clinic-a", "clinic-b"]), second.ClinicCodes(["clinic-b", "clinic-a"]));
    }

    [Fact]
    public void AnotherRelease_GivesUnrelatedIdsAndShifts()
    {
        using var first = new ExportKeys(TestExport.Key, Seed());
        using var second = new ExportKeys(TestExport.Key, Seed(release: 2, position: 4243));

        Assert.NotEqual(first.SubjectKey(Course), second.SubjectKey(Course));
        Assert.NotEqual(first.JitterKey(Course), second.JitterKey(Course));
        Assert.NotEqual(Seed(), ExportKeys.ReleaseSeed(TestExport.Key, 1, 4242, CutAt.AddTicks(10)));
        // Without the server's key, the release point does not give the seed.
        Assert.NotEqual(Seed(), ExportKeys.ReleaseSeed([.. TestExport.Key.Select(b => (byte)(b ^ 1))], 1, 4242, CutAt));
    }

    [Fact]
    public void SubjectId_IsSixteenHexDigits_WithoutThePatientKey()
    {
        using var keys = new ExportKeys(TestExport.Key, Seed());

        var id = ExportKeys.SubjectId(keys.SubjectKey(Course));

        Assert.Matches("^[0-9a-f]{16}$", id);
        Assert.DoesNotContain("p00001", id);
    }

    [Fact]
    public void ClinicCodes_AreNumberedFromC01()
    {
        using var keys = new ExportKeys(TestExport.Key, Seed());

        var codes = keys.ClinicCodes(["clinic-a", "clinic-b", "clinic-c", "clinic-a"]);

        Assert.Equal(["C01", "C02", "C03"], codes.Values.Order());
        Assert.Equal(3, codes.Count);
    }

    [Fact]
    public void ShortKey_IsRefused() =>
        Assert.Throws<ArgumentException>(() => new ExportKeys(new byte[16], Seed()));
}
