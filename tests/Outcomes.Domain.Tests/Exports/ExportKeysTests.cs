using Outcomes.Domain.Courses;
using Outcomes.Domain.Exports;

namespace Outcomes.Domain.Tests.Exports;

public class ExportKeysTests
{
    private static readonly CourseKey Course = new("clinic-a", "p00001", 1);

    [Fact]
    public void SameKeyAndSeed_GiveTheSameIds()
    {
        var seed = ExportKeys.NewSeed();
        using var first = new ExportKeys(TestExport.Key, seed);
        using var second = new ExportKeys(TestExport.Key, (byte[])seed.Clone());

        Assert.Equal(first.SubjectKey(Course), second.SubjectKey(Course));
        Assert.Equal(first.ClinicCodes(["clinic-a", "clinic-b"]), second.ClinicCodes(["clinic-b", "clinic-a"]));
    }

    [Fact]
    public void AnotherSeed_GivesUnrelatedIds()
    {
        using var first = new ExportKeys(TestExport.Key, ExportKeys.NewSeed());
        using var second = new ExportKeys(TestExport.Key, ExportKeys.NewSeed());

        Assert.NotEqual(first.SubjectKey(Course), second.SubjectKey(Course));
    }

    [Fact]
    public void SubjectId_IsSixteenHexDigits_WithoutThePatientKey()
    {
        using var keys = new ExportKeys(TestExport.Key, ExportKeys.NewSeed());

        var id = ExportKeys.SubjectId(keys.SubjectKey(Course));

        Assert.Matches("^[0-9a-f]{16}$", id);
        Assert.DoesNotContain("p00001", id);
    }

    [Fact]
    public void ClinicCodes_AreNumberedFromC01()
    {
        using var keys = new ExportKeys(TestExport.Key, ExportKeys.NewSeed());

        var codes = keys.ClinicCodes(["clinic-a", "clinic-b", "clinic-c", "clinic-a"]);

        Assert.Equal(["C01", "C02", "C03"], codes.Values.Order());
        Assert.Equal(3, codes.Count);
    }

    [Fact]
    public void ShortKey_IsRefused() =>
        Assert.Throws<ArgumentException>(() => new ExportKeys(new byte[16], ExportKeys.NewSeed()));
}
