using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Tests.Outcomes;

public class OutcomeDefinitionsTests
{
    [Fact]
    public void Defaults_AreDomainMdValues()
    {
        var d = OutcomeDefinitions.Default;

        Assert.Equal("outcomes-v1", d.Version);
        Assert.Equal(14, d.BaselineWindowDays);
        Assert.Equal(10, d.EligibilityMinimumBaseline);
        Assert.Equal(0.5, d.ResponseMinimumDropFraction);
        Assert.Equal(5, d.RemissionBelowTotal);
        Assert.Equal((2, 5), (d.LossOfResponseConsecutiveAssessments, d.LossOfResponseMinimumGapDays));
        Assert.Equal((10, 2, 5, 15), (d.RelapseMinimumTotal, d.RelapseConsecutiveAssessments, d.RelapseMinimumGapDays, d.RelapseMaximumGapDays));
        Assert.Equal((2, 7), (d.SustainedResponseConsecutiveAssessments, d.SustainedResponseMinimumGapDays));
        Assert.Equal(6, d.ReliableImprovementMinimumDrop);
        Assert.Equal(5, d.MinimalClinicallyImportantDrop);
        Assert.Equal(42, d.InductionWindowDays);
        Assert.Equal(DurabilityDefinition.LossOfResponse, d.Durability);
        Assert.Equal(NonResponderCensoring.LastAssessment, d.NonResponderCensoring);
        Assert.Empty(d.Validate());
    }

    [Fact]
    public void BrokenThresholds_EachNamedWithItsRule()
    {
        var d = new OutcomeDefinitions
        {
            Version = " ",
            BaselineWindowDays = -1,
            EligibilityMinimumBaseline = 0,
            ResponseMinimumDropFraction = 1.5,
            RemissionBelowTotal = 0,
            LossOfResponseConsecutiveAssessments = 0,
            RelapseMinimumGapDays = 20,
            SustainedResponseConsecutiveAssessments = 1,
            ReliableImprovementMinimumDrop = 30,
            MinimalClinicallyImportantDrop = 0,
            InductionWindowDays = -7,
            Durability = (DurabilityDefinition)9,
        };

        var fields = d.Validate().Select(v => v.Field).ToArray();

        Assert.Equal(
            [
                "Version", "BaselineWindowDays", "EligibilityMinimumBaseline", "ResponseMinimumDropFraction",
                "RemissionBelowTotal", "LossOfResponseConsecutiveAssessments", "SustainedResponseMinimumGapDays",
                "RelapseMaximumGapDays", "ReliableImprovementMinimumDrop", "MinimalClinicallyImportantDrop",
                "InductionWindowDays", "Durability",
            ],
            fields);
    }

    [Fact]
    public void RelapseGapsReversed_RuleNamesTheOtherField()
    {
        var violation = Assert.Single(new OutcomeDefinitions { RelapseMinimumGapDays = 20 }.Validate());

        Assert.Equal("RelapseMaximumGapDays", violation.Field);
        Assert.Equal("must be >= RelapseMinimumGapDays (20), got 15", violation.Rule);
    }

    [Fact]
    public void FromJson_OverridesOnlyWhatItNames()
    {
        var d = OutcomeDefinitions.FromJson("""
            { "version": "outcomes-v2", "responseMinimumDropFraction": 0.6, "durability": "Relapse" }
            """);

        Assert.Equal("outcomes-v2", d.Version);
        Assert.Equal(0.6, d.ResponseMinimumDropFraction);
        Assert.Equal(DurabilityDefinition.Relapse, d.Durability);
        Assert.Equal(14, d.BaselineWindowDays);
        Assert.Empty(d.Validate());
    }

    [Fact]
    public void FromJsonWithAMisspeltField_Rejected()
    {
        Assert.Throws<JsonException>(() => OutcomeDefinitions.FromJson("""{ "baselineWindowDay": 21 }"""));
    }

    [Fact]
    public void ToJsonThenFromJson_SameDefinitions()
    {
        var d = new OutcomeDefinitions { Id = "strict", RelapseMaximumGapDays = 21, NonResponderCensoring = NonResponderCensoring.LaterOfLastAssessmentAndCourseEnd };

        Assert.Equal(d, OutcomeDefinitions.FromJson(d.ToJson()));
    }

    [Fact]
    public void BoundFromConfiguration_ThresholdsChangeWithoutCode()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Outcomes:Definitions:Version"] = "outcomes-v3",
                ["Outcomes:Definitions:BaselineWindowDays"] = "21",
                ["Outcomes:Definitions:ResponseMinimumDropFraction"] = "0.6",
                ["Outcomes:Definitions:Durability"] = "Relapse",
            })
            .Build();

        var d = configuration.GetSection("Outcomes:Definitions").Get<OutcomeDefinitions>()!;

        Assert.Equal("outcomes-v3", d.Version);
        Assert.Equal(21, d.BaselineWindowDays);
        Assert.Equal(0.6, d.ResponseMinimumDropFraction);
        Assert.Equal(DurabilityDefinition.Relapse, d.Durability);
        Assert.Equal(10, d.EligibilityMinimumBaseline);
        Assert.Equal(-15, new TestCourse().Sessions(0).Score(-15, 18).Derive(d).Baseline!.Value.Day);
    }

    [Fact]
    public void Fingerprint_ChangesWithAThresholdNotWithTheLabels()
    {
        var d = OutcomeDefinitions.Default;

        Assert.Equal(d.Fingerprint(), (d with { Id = "other", Version = "outcomes-v9" }).Fingerprint());
        Assert.NotEqual(d.Fingerprint(), (d with { InductionWindowDays = 28 }).Fingerprint());
        Assert.Equal(16, d.Fingerprint().Length);
    }
}
