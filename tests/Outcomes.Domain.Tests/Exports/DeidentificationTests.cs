using Outcomes.Domain.Courses;
using Outcomes.Domain.Exports;

namespace Outcomes.Domain.Tests.Exports;

public class DeidentificationTests
{
    private static SubjectAttributes Subject(short clinic = 0, AgeBand age = AgeBand.From35To44, Sex sex = Sex.Female,
        Modality modality = Modality.IvKetamine, short year = 2024) =>
        new(clinic, (sbyte)age, (sbyte)sex, 0, 0, (sbyte)modality, year, year);

    private static readonly ExportDataset AttributesOnly = new("attributes", "", ExportDatasets.Attributes);

    private static List<SubjectAttributes> Copies(int n, SubjectAttributes s) => Enumerable.Repeat(s, n).ToList();

    [Fact]
    public void ClassesOfK_AreReleasedAsStored()
    {
        var subjects = Copies(11, Subject()).Concat(Copies(12, Subject(sex: Sex.Male))).ToList();

        var plan = Release.KAnonymise(subjects, 11);

        Assert.All(plan.Levels, l => Assert.Equal(0, l));
        Assert.All(plan.Generalisations, g => Assert.Equal(0, g.Subjects));
        Assert.Equal(0, plan.SuppressedSubjects);
    }

    [Fact]
    public void SmallYearClass_IsMergedIntoItsPeriod()
    {
        // 6 in 2023 and 6 in 2024: each below 11, together 12 in 2020-2024.
        var subjects = Copies(6, Subject(year: 2023)).Concat(Copies(6, Subject(year: 2024))).Concat(Copies(20, Subject(sex: Sex.Male))).ToList();

        var plan = Release.KAnonymise(subjects, 11);

        Assert.All(plan.Levels.Take(12), l => Assert.Equal(1, l));
        Assert.All(plan.Levels.Skip(12), l => Assert.Equal(0, l));
        Assert.Equal(12, plan.Generalisations[0].Subjects);
        Assert.Equal(0, plan.Generalisations[1].Subjects);
        Assert.Equal(0, plan.SuppressedSubjects);
        Assert.Equal(Release.Key(subjects[0], 1), Release.Key(subjects[6], 1));
    }

    [Fact]
    public void AgeBandsAndModality_AreWidenedInTurn_ThenTheRestSuppressed()
    {
        var subjects = Copies(6, Subject(age: AgeBand.From18To24)).Concat(Copies(6, Subject(age: AgeBand.From25To34)))
            .Concat(Copies(5, Subject(age: AgeBand.From55To64, modality: Modality.ImKetamine)))
            .Concat(Copies(6, Subject(age: AgeBand.From55To64, modality: Modality.OralKetamine)))
            .Concat(Copies(3, Subject(clinic: 1)))
            .ToList();

        var plan = Release.KAnonymise(subjects, 11);

        Assert.All(plan.Levels.Take(12), l => Assert.Equal(2, l));
        Assert.All(plan.Levels.Skip(12).Take(11), l => Assert.Equal(3, l));
        Assert.All(plan.Levels.Skip(23), l => Assert.Equal(Release.Suppressed, l));
        Assert.Equal(3, plan.SuppressedSubjects);
        Assert.Equal([26, 26, 14], plan.Generalisations.Select(g => g.Subjects));
    }

    [Fact]
    public void EveryReleasedClass_HasAtLeastK()
    {
        var random = new Random(5);
        var subjects = Enumerable.Range(0, 3000).Select(_ => Subject((short)random.Next(6), (AgeBand)random.Next(8),
            (Sex)random.Next(4), (Modality)random.Next(5), (short)(2018 + random.Next(8)))).ToList();

        var plan = Release.KAnonymise(subjects, 11);

        var classes = subjects.Select((s, i) => (s, Level: plan.Levels[i])).Where(x => x.Level != Release.Suppressed)
            .GroupBy(x => Release.Key(x.s, x.Level));
        Assert.All(classes, c => Assert.True(c.Count() >= 11, $"a class of {c.Count()}"));
        Assert.Equal(plan.SuppressedSubjects, plan.Levels.Count(l => l == Release.Suppressed));
        Assert.True(plan.SuppressedSubjects < 3000);
    }

    [Fact]
    public void Plan_DoesNotDependOnSubjectOrder()
    {
        var random = new Random(6);
        var subjects = Enumerable.Range(0, 500).Select(_ => Subject((short)random.Next(3), (AgeBand)random.Next(8),
            modality: (Modality)random.Next(5), year: (short)(2020 + random.Next(4)))).ToList();
        var order = Enumerable.Range(0, 500).OrderBy(_ => random.Next()).ToArray();

        var plan = Release.KAnonymise(subjects, 11);
        var shuffled = Release.KAnonymise(order.Select(i => subjects[i]).ToList(), 11);

        Assert.Equal(order.Select(i => plan.Levels[i]), shuffled.Levels);
    }

    [Theory]
    [InlineData(0, "35-44", "iv-ketamine", "2024")]
    [InlineData(1, "35-44", "iv-ketamine", "2020-2024")]
    [InlineData(2, "35-54", "iv-ketamine", "2020-2024")]
    [InlineData(3, "35-54", "other", "2020-2024")]
    public void Attributes_AreWrittenAtTheirLevel(int level, string age, string modality, string year)
    {
        var row = new TableWriter(AttributesOnly);

        Release.WriteAttributes(row, Subject(), level, "C01");
        row.EndRow();

        Assert.Equal(["C01", age, "female", "major-depressive-disorder", "0-1", modality, year, year], row.Rows[0]);
        Assert.Equal(level == 3, Release.ModalityWithheld(Subject(), level));
    }

    [Fact]
    public void NinetyPlus_StaysAbove89_AndWidensTo75Plus()
    {
        var stored = new TableWriter(AttributesOnly);
        Release.WriteAttributes(stored, Subject(age: AgeBand.From90), 0, "C01");
        Release.WriteAttributes(stored.EndRowAndContinue(), Subject(age: AgeBand.From90), 2, "C01");
        stored.EndRow();

        Assert.Equal("90+", stored.Rows[0][1]);
        Assert.Equal("75+", stored.Rows[1][1]);
    }
}
