using Outcomes.Domain.Courses;
using Outcomes.Domain.Exports;

namespace Outcomes.Domain.Tests.Exports;

public class DeidentificationTests
{
    private static readonly ReleaseParameters K11 = ReleaseParameters.Default;

    private static SubjectAttributes Subject(short clinic = 0, AgeBand age = AgeBand.From35To44, Sex sex = Sex.Female,
        Modality modality = Modality.IvKetamine, short year = 2024, DiagnosisGroup diagnosis = DiagnosisGroup.MajorDepressiveDisorder,
        sbyte trials = 0) =>
        new(clinic, (sbyte)age, (sbyte)sex, (sbyte)diagnosis, trials, (sbyte)modality, year, year);

    private static readonly ExportDataset AttributesOnly = new("attributes", "", ExportDatasets.Attributes);

    private static List<SubjectAttributes> Copies(int n, SubjectAttributes s) => Enumerable.Repeat(s, n).ToList();

    private static int Step(string name) => ReleaseParameters.DefaultOrder.ToList().IndexOf(name);

    /// A population shaped like the demo's: a few clinics of unequal size, skewed modalities and diagnoses.
    private static List<SubjectAttributes> Population(int n, int seed)
    {
        var random = new Random(seed);
        int Pick(params double[] weights)
        {
            var u = random.NextDouble() * weights.Sum();
            for (var i = 0; i < weights.Length; i++)
                if ((u -= weights[i]) < 0) return i;
            return weights.Length - 1;
        }
        return Enumerable.Range(0, n).Select(_ => Subject((short)Pick(5, 3, 2, 1), (AgeBand)Pick(8, 18, 20, 18, 16, 12, 6, 1),
            (Sex)Pick(55, 43, 1, 1), (Modality)Pick(40, 15, 25, 12, 8), (short)(2021 + Pick(1, 2, 3, 4, 4, 2)),
            (DiagnosisGroup)Pick(35, 40, 10, 10, 5), (sbyte)Pick(3, 3, 4))).ToList();
    }

    [Fact]
    public void ClassesOfK_AreReleasedAsStored()
    {
        var subjects = Copies(11, Subject()).Concat(Copies(12, Subject(sex: Sex.Male))).ToList();

        var plan = Release.Anonymise(subjects, K11);

        Assert.All(plan.Levels, l => Assert.Equal(0, l));
        Assert.All(plan.Generalisations, g => Assert.Equal(0, g.Subjects));
        Assert.Equal(0, plan.SuppressedSubjects);
    }

    [Fact]
    public void SmallYearClass_IsMergedIntoItsPeriod()
    {
        // 6 in 2023 and 6 in 2024: each below 11, together 12 in 2020-2024.
        var subjects = Copies(6, Subject(year: 2023)).Concat(Copies(6, Subject(year: 2024))).Concat(Copies(20, Subject(sex: Sex.Male))).ToList();

        var plan = Release.Anonymise(subjects, K11);

        Assert.All(plan.Levels.Take(12), l => Assert.Equal(1, l));
        Assert.All(plan.Levels.Skip(12), l => Assert.Equal(0, l));
        Assert.Equal(12, plan.Generalisations[0].Subjects);
        Assert.Equal(0, plan.Generalisations[1].Subjects);
        Assert.Equal(plan.Released(subjects[0], 0), plan.Released(subjects[6], 6));
    }

    [Fact]
    public void DemographicsGeneralisedFirst_ModalityOnlyWhenNothingElseHelps_ThenSuppressed()
    {
        var subjects = Copies(6, Subject(age: AgeBand.From18To24)).Concat(Copies(6, Subject(age: AgeBand.From25To34)))
            .Concat(Copies(6, Subject(sex: Sex.Male, diagnosis: DiagnosisGroup.BipolarDepression)))
            .Concat(Copies(5, Subject(sex: Sex.Female, diagnosis: DiagnosisGroup.Other)))
            .Concat(Copies(5, Subject(age: AgeBand.From55To64, modality: Modality.ImKetamine)))
            .Concat(Copies(6, Subject(age: AgeBand.From55To64, modality: Modality.OralKetamine)))
            .Concat(Copies(3, Subject(clinic: 1)))
            .ToList();

        var plan = Release.Anonymise(subjects, K11);

        // The two young bands merge once widened (18-34); the male and "other" diagnosis subjects once sex and diagnosis
        // are withheld; the IM and oral subjects only when their modality becomes "other"; the clinic of 3 is suppressed.
        Assert.All(plan.Levels.Take(12), l => Assert.Equal(Step(ReleaseParameters.AgeBandsWidened) + 1, l));
        Assert.All(plan.Levels.Skip(12).Take(11), l => Assert.Equal(Step(ReleaseParameters.DiagnosisGroupWithheld) + 1, l));
        Assert.All(plan.Levels.Skip(23).Take(11), l => Assert.Equal(ReleaseParameters.DefaultOrder.Count, l));
        Assert.All(plan.Levels.Skip(34), l => Assert.Equal(Release.Suppressed, l));
        Assert.Equal(3, plan.SuppressedSubjects);
        Assert.Equal("18-34", Release.Labels(plan.Released(subjects[0], 0))[0]);
        Assert.Equal([Release.Withheld, Release.Withheld], Release.Labels(plan.Released(subjects[12], 12))[1..3].Select(l => l!));
        Assert.Equal(Release.OtherModality, Release.Labels(plan.Released(subjects[23], 23))[4]);
        Assert.True(Release.ModalityWithheld(plan.Released(subjects[23], 23)));
    }

    [Fact]
    public void EveryExportedQuasiIdentifier_IncludingDiagnosisGroup_HasClassesOfK()
    {
        // The attack: the old release counted classes over five quasi-identifiers; the exported diagnosis group (and
        // prior trials) split them below k. Over the stored values, here too, many classes are below 11.
        var subjects = Population(3000, 5);
        Assert.Contains(subjects.GroupBy(s => s), c => c.Count() < 11);

        var plan = Release.Anonymise(subjects, K11);

        var classes = subjects.Select((s, i) => (Released: plan.Released(s, i), Level: plan.Levels[i]))
            .Where(x => x.Level != Release.Suppressed).GroupBy(x => x.Released).ToList();
        Assert.All(classes, c => Assert.True(c.Count() >= 11, $"a class of {c.Count()}"));
        // Each class lies within one clinic: an export of some clinics holds whole classes.
        Assert.All(classes, c => Assert.Single(c.Select(x => x.Released.Clinic).Distinct()));
        Assert.Equal(plan.SuppressedSubjects, plan.Levels.Count(l => l == Release.Suppressed));
        var summary = ReleaseDeidentification.Of(plan, subjects, 0.05);
        Assert.True(summary.Risk.HighestRisk <= 1.0 / 11);
        Assert.True(summary.AnalysisVariablesIntact >= 0.95, $"modality kept for {summary.AnalysisVariablesIntact:P1}");
        Assert.True((double)summary.Released / summary.Population >= 0.95, $"released {summary.Released} of {summary.Population}");
    }

    [Fact]
    public void Plan_DoesNotDependOnSubjectOrder()
    {
        var random = new Random(6);
        var subjects = Population(500, 6);
        var order = Enumerable.Range(0, 500).OrderBy(_ => random.Next()).ToArray();

        var plan = Release.Anonymise(subjects, K11);
        var shuffled = Release.Anonymise(order.Select(i => subjects[i]).ToList(), K11);

        Assert.Equal(order.Select(i => plan.Levels[i]), shuffled.Levels);
    }

    [Fact]
    public void GeneralisationOrder_IsConfigurable()
    {
        var subjects = Copies(6, Subject(age: AgeBand.From18To24)).Concat(Copies(6, Subject(age: AgeBand.From25To34))).ToList();
        var ageLast = new ReleaseParameters(11, [.. ReleaseParameters.DefaultOrder.Where(s => s != ReleaseParameters.AgeBandsWidened && s != ReleaseParameters.AgeBandWithheld),
            ReleaseParameters.AgeBandsWidened, ReleaseParameters.AgeBandWithheld]);

        var byDefault = Release.Anonymise(subjects, K11);
        var lastly = Release.Anonymise(subjects, ageLast);

        Assert.Empty(ReleaseParameters.Validate(ageLast.GeneralisationOrder, "order"));
        Assert.Equal("18-34", Release.Labels(byDefault.Released(subjects[0], 0))[0]);
        // With age last, every other step is applied first: the twelve lose sex, diagnosis, years and even their modality
        // before their bands merge; by default only their bands widen.
        Assert.All(subjects.Select((x, i) => Release.Labels(byDefault.Released(x, i))), l => Assert.Equal(["18-34", "female", "iv-ketamine"], [l[0]!, l[1]!, l[4]!]));
        Assert.All(subjects.Select((x, i) => Release.Labels(lastly.Released(x, i))), l => Assert.Equal(["18-34", "withheld", "other"], [l[0]!, l[1]!, l[4]!]));
        Assert.Equal(0, lastly.SuppressedSubjects);
    }

    [Theory]
    [InlineData(new[] { "sex-withheld" }, "exactly once")]
    [InlineData(new[] { "years-to-five-year-periods", "age-band-withheld", "sex-withheld", "prior-trials-withheld", "diagnosis-group-withheld",
        "age-bands-widened", "years-withheld", "modality-to-other" }, "age-bands-widened must come before age-band-withheld")]
    public void BrokenOrder_IsRefusedNamingTheRule(string[] order, string rule)
    {
        var violations = ReleaseParameters.Validate(order, "Exports:GeneralisationOrder");

        Assert.Contains(violations, v => v.Field == "Exports:GeneralisationOrder" && v.Rule.Contains(rule, StringComparison.Ordinal));
    }

    [Fact]
    public void ProsecutorRisk_AsArxReportsIt()
    {
        var released = Copies(11, Subject()).Concat(Copies(20, Subject(sex: Sex.Male))).ToList();

        var risk = ReidentificationRisk.Prosecutor(released, 0.05);

        Assert.Equal(2, risk.Classes);
        Assert.Equal(11, risk.SmallestClass);
        Assert.Equal(Math.Round(1.0 / 11, 6), risk.HighestRisk);
        Assert.Equal(Math.Round(2.0 / 31, 6), risk.AverageRisk);
        Assert.Equal(Math.Round(11.0 / 31, 6), risk.RecordsAtRisk);
    }

    [Theory]
    [InlineData(0, "35-44", "female", "iv-ketamine", "2024")]
    [InlineData(1, "35-44", "female", "iv-ketamine", "2020-2024")]
    [InlineData(2, "35-54", "female", "iv-ketamine", "2020-2024")]
    [InlineData(3, "35-54", "withheld", "iv-ketamine", "2020-2024")]
    [InlineData(7, "withheld", "withheld", "iv-ketamine", "withheld")]
    [InlineData(8, "withheld", "withheld", "other", "withheld")]
    public void Attributes_AreWrittenAtTheirLevel(int level, string age, string sex, string modality, string year)
    {
        var row = new TableWriter(AttributesOnly);

        var released = Release.ReleasedAt(Subject(), ReleaseParameters.DefaultOrder, level);
        Release.WriteAttributes(row, released, "C01");
        row.EndRow();

        Assert.Equal(["C01", age, sex], row.Rows[0].Take(3));
        Assert.Equal([modality, year, year], row.Rows[0].Skip(5));
        Assert.Equal(level == 8, Release.ModalityWithheld(released));
    }

    [Fact]
    public void NinetyPlus_StaysAbove89_AndWidensTo75Plus()
    {
        var stored = new TableWriter(AttributesOnly);
        Release.WriteAttributes(stored, Release.ReleasedAt(Subject(age: AgeBand.From90), ReleaseParameters.DefaultOrder, 0), "C01");
        Release.WriteAttributes(stored.EndRowAndContinue(), Release.ReleasedAt(Subject(age: AgeBand.From90), ReleaseParameters.DefaultOrder, 2), "C01");
        stored.EndRow();

        Assert.Equal("90+", stored.Rows[0][1]);
        Assert.Equal("75+", stored.Rows[1][1]);
    }
}
