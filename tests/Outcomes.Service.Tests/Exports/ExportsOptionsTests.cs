using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting.Internal;
using Outcomes.Domain.Exports;
using Outcomes.Service.Exports;

namespace Outcomes.Service.Tests.Exports;

public sealed class ExportsOptionsTests
{
    private const string Key = "a-real-export-subject-key-of-more-than-32-bytes";

    private static IEnumerable<string> Failures(ExportsOptions options) =>
        new ExportsOptionsValidation(new HostingEnvironment { EnvironmentName = "Production" }).Validate(null, options).Failures ?? [];

    private static ExportsOptions Bound(Dictionary<string, string?> settings)
    {
        var options = new ExportsOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(ExportsOptions.Section).Bind(options);
        return options;
    }

    [Fact]
    public void Unset_GivesTheDefaultOrder()
    {
        var options = new ExportsOptions { SubjectKey = Key };

        Assert.Empty(Failures(options));
        Assert.Equal(ReleaseParameters.DefaultOrder, options.ReleaseParameters().GeneralisationOrder);
    }

    [Fact]
    public void ConfiguredOrder_IsBoundAsGiven_NotAppendedToTheDefault()
    {
        string[] order = ["sex-withheld", "years-to-five-year-periods", "age-bands-widened", "prior-trials-withheld", "diagnosis-group-withheld",
            "age-band-withheld", "years-withheld", "modality-to-other"];
        var settings = new Dictionary<string, string?> { ["Exports:SubjectKey"] = Key };
        for (var i = 0; i < order.Length; i++) settings[$"Exports:GeneralisationOrder:{i}"] = order[i];

        var options = Bound(settings);

        Assert.Empty(Failures(options));
        Assert.Equal(order, options.ReleaseParameters().GeneralisationOrder);
    }

    [Theory]
    [InlineData(new[] { "sex-withheld" }, "Exports:GeneralisationOrder must list each of")]
    [InlineData(new[] { "years-withheld", "age-bands-widened", "sex-withheld", "prior-trials-withheld", "diagnosis-group-withheld",
        "age-band-withheld", "years-to-five-year-periods", "modality-to-other" }, "years-to-five-year-periods must come before years-withheld")]
    public void BrokenOrder_FailsNamingTheSettingAndTheRule(string[] order, string message)
    {
        var failure = Assert.Single(Failures(new ExportsOptions { SubjectKey = Key, GeneralisationOrder = order }));

        Assert.Contains(message, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1.5)]
    public void RiskThresholdOutOfRange_Fails(double threshold)
    {
        var failure = Assert.Single(Failures(new ExportsOptions { SubjectKey = Key, RiskThreshold = threshold }));

        Assert.Contains("Exports:RiskThreshold", failure, StringComparison.Ordinal);
    }
}
