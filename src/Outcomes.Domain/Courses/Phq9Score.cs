using Outcomes.Contracts;

namespace Outcomes.Domain.Courses;

/// PHQ-9 severity bands (Kroenke et al. 2001): 0-4, 5-9, 10-14, 15-19, 20-27.
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<Phq9Severity>))]
public enum Phq9Severity
{
    [System.Text.Json.Serialization.JsonStringEnumMemberName("minimal")] Minimal,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("mild")] Mild,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("moderate")] Moderate,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("moderately-severe")] ModeratelySevere,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("severe")] Severe,
}

/// A PHQ-9 result: a total 0-27 and, when all nine were answered, the item scores 0-3 (item 9 last).
/// A total without items is kept and flagged "total only" (PCORnet allows it); Kroenke et al. 2001.
public sealed record Phq9Score
{
    public const int ItemCount = ContractLimits.Phq9ItemCount;
    public const int MaxItem = ContractLimits.Phq9MaxItem;
    public const int MaxTotal = ContractLimits.Phq9MaxTotal;

    public int Total { get; }
    public IReadOnlyList<int>? Items { get; }

    public bool IsTotalOnly => Items is null;

    /// Item 9 (thoughts of being better off dead or of self-harm); unknown for total-only scores.
    public int? Item9 => Items?[ItemCount - 1];

    public Phq9Severity Severity => SeverityOf(Total);

    /// The severity band of a total (Kroenke 2001 cut-offs 5, 10, 15, 20).
    public static Phq9Severity SeverityOf(int total) => total switch
    {
        <= 4 => Phq9Severity.Minimal,
        <= 9 => Phq9Severity.Mild,
        <= 14 => Phq9Severity.Moderate,
        <= 19 => Phq9Severity.ModeratelySevere,
        _ => Phq9Severity.Severe,
    };

    // Public for the serializer; Create is the validating way in.
    public Phq9Score(int total, IReadOnlyList<int>? items)
    {
        Total = total;
        Items = items;
    }

    /// Builds a score from items and/or a total, or says which rule the input breaks.
    public static (Phq9Score? Score, Phq9Violation? Violation) Create(IReadOnlyList<int>? items, int? total)
    {
        if (items is null && total is null)
            return (null, new Phq9Violation("items", "items or total is required"));
        if (items is not null)
        {
            if (items.Count != ItemCount)
                return (null, new Phq9Violation("items", $"must have exactly {ItemCount} item scores (item 9 last), got {items.Count}"));
            for (var i = 0; i < items.Count; i++)
                if (items[i] is < 0 or > MaxItem)
                    return (null, new Phq9Violation($"items[{i}]", $"item {i + 1} must be 0-{MaxItem}, got {items[i]}"));
            var sum = items.Sum();
            if (total is not null && total != sum)
                return (null, new Phq9Violation("total", $"must equal the sum of the items ({sum}), got {total}"));
            return (new Phq9Score(sum, items.ToArray()), null);
        }
        if (total is < 0 or > MaxTotal)
            return (null, new Phq9Violation("total", $"must be 0-{MaxTotal}, got {total}"));
        return (new Phq9Score(total!.Value, null), null);
    }
}

public sealed record Phq9Violation(string Field, string Rule);
