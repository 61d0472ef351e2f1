using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Outcomes.Domain.Disclosure;

/// A report's disclosure parameters for the forms that are not its JSON: a CSV field and a reader's sentences. Both
/// are read from the same statement the JSON carries, so no form can state other parameters than another.
public static class StatedParameters
{
    private static readonly JsonSerializerOptions Names = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// The perturbation parameters as `name=value` pairs joined by "; ", named as the JSON report's
    /// disclosure.perturbation names them (every parameter, also ones added later); empty for an exact tier.
    public static string Compact(DisclosureStatement disclosure)
    {
        ArgumentNullException.ThrowIfNull(disclosure);
        if (disclosure.Perturbation is not { } p) return "";
        var fields = JsonSerializer.SerializeToNode(p, Names)!.AsObject();
        return string.Join("; ", fields.Select(f => $"{f.Key}={Value(f.Value)}"));
    }

    /// What the parameters mean for a reader, one sentence each: nothing for an exact tier beyond its rule.
    public static IReadOnlyList<string> Plain(DisclosureStatement disclosure)
    {
        ArgumentNullException.ThrowIfNull(disclosure);
        if (disclosure.Perturbation is not { } p) return [];
        return
        [
            $"Every count is moved by at most {N(p.MaximumCountNoise)} up or down (variance {N(p.CountNoiseVariance)}); a zero stays zero. " +
            $"The change comes from the courses' permanent random keys (0 to {N(p.RecordKeyRange - 1)}), so asking again gives the same figures.",
            $"Sums of PHQ-9 totals get random noise with a standard deviation of {N(p.SumNoiseStandardDeviation)} points before means are taken.",
            $"Time-to-response curves and numbers at risk are shown every {N(p.TimeToResponseGridDays)} days up to day " +
            $"{N(p.TimeToResponseGridEndDays)}, and every session up to {N(p.TimeToResponseGridEndSessions)} sessions.",
            $"Response durability is shown every {N(p.DurabilityGridDays)} days up to day {N(p.DurabilityGridEndDays)}.",
            $"A group, rate, mean or curve over fewer than {N(p.MinimumBase)} courses is not shown; nor is a cohort one course " +
            "apart from one you were shown before; network figures leave out the clinics in your token.",
            $"Models (the trajectory slope, log-rank tests, hazard ratios) are shown only when every group has at least " +
            $"{N(p.MinimumModelCourses)} courses, and rounded.",
        ];
    }

    private static string Value(JsonNode? node) => node switch
    {
        null => "",
        JsonArray array => string.Join(" ", array.Select(Value)),
        _ => node.ToJsonString().Trim('"'),
    };

    private static string N(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
