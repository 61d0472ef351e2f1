using System.Text.Json.Nodes;

namespace Outcomes.Domain.Tests.Exports;

/// Two report JSON texts compared value by value: counts, labels, nulls and shapes exact; fractional numbers to a
/// relative tolerance, because they may differ in the last bits where the members came in another order
/// (floating-point sums are not associative). The service orders members by course key; an export cannot, since
/// its subject ids are re-keyed per export and keeping the course keys' order would let two exports be joined by
/// row rank, so the offline report sums in subject-id order.
internal static class ReportJson
{
    public static void AssertEquivalent(string expected, string actual, double relativeTolerance = 1e-9)
    {
        var differences = new List<string>();
        Compare(JsonNode.Parse(expected), JsonNode.Parse(actual), "$", relativeTolerance, differences);
        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(20)));
    }

    private static void Compare(JsonNode? a, JsonNode? b, string path, double tolerance, List<string> differences)
    {
        switch (a, b)
        {
            case (null, null):
                return;
            case (JsonObject x, JsonObject y):
                foreach (var name in x.Select(p => p.Key).Union(y.Select(p => p.Key)))
                    Compare(x[name], y[name], $"{path}.{name}", tolerance, differences);
                return;
            case (JsonArray x, JsonArray y) when x.Count == y.Count:
                for (var i = 0; i < x.Count; i++) Compare(x[i], y[i], $"{path}[{i}]", tolerance, differences);
                return;
            case (JsonValue x, JsonValue y) when IsWhole(x) || IsWhole(y):
                if (x.ToJsonString() != y.ToJsonString()) differences.Add($"{path}: {x.ToJsonString()} != {y.ToJsonString()}");
                return;
            case (JsonValue x, JsonValue y) when x.TryGetValue<double>(out var p) && y.TryGetValue<double>(out var q):
                if (p != q && Math.Abs(p - q) > tolerance * Math.Max(Math.Abs(p), Math.Abs(q)))
                    differences.Add($"{path}: {p:R} != {q:R}");
                return;
            default:
                if (a?.ToJsonString() != b?.ToJsonString()) differences.Add($"{path}: {a?.ToJsonString()} != {b?.ToJsonString()}");
                return;
        }
    }

    /// A count: a JSON number written without fraction or exponent.
    private static bool IsWhole(JsonValue value) =>
        value.GetValueKind() == System.Text.Json.JsonValueKind.Number && value.ToJsonString().AsSpan().IndexOfAny(".eE") < 0;
}
