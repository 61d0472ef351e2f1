using System.Text.Json;
using System.Text.Json.Serialization;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Tests.Outcomes;

/// Whole-result comparison: the result holds a list, so record equality alone would compare references.
internal static class OutcomeJson
{
    public static readonly JsonSerializerOptions Options = new() { Converters = { new JsonStringEnumConverter() } };

    public static string Of(CourseOutcome outcome) => JsonSerializer.Serialize(outcome, Options);
}
