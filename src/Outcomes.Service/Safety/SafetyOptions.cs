namespace Outcomes.Service.Safety;

public sealed class SafetyOptions
{
    public const string Section = "Safety";

    /// The exchange new signals are published to (topic, durable), routing key v1.<clinicId>.<signal>, body as
    /// docs/contract/v1/signals/safety-signal-raised.schema.json.
    public string Exchange { get; set; } = "outcomes.clinic-signals";

    /// How long the publisher waits for a notification before it looks for unpublished signals anyway.
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
}
