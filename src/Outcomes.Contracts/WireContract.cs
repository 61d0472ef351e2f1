using System.Text.Json;
using System.Text.Json.Serialization;

namespace Outcomes.Contracts;

/// <summary>
/// The AMQP contract, version 1: where publishers send, and how each message type is named.
/// The README documents it for non-.NET publishers; these constants are its single source.
/// </summary>
public static class WireContract
{
    /// <summary>Durable topic exchange that receives every clinic event.</summary>
    public const string Exchange = "outcomes.clinic-events";

    /// <summary>Exchange type of <see cref="Exchange"/>.</summary>
    public const string ExchangeType = "topic";

    /// <summary>Contract version carried in every routing key.</summary>
    public const string Version = "v1";

    /// <summary>The durable queue the service consumes raw JSON clinic events from, bound to <see cref="Exchange"/> with "#".</summary>
    public const string IngestionQueue = "outcomes-ingestion";

    /// <summary>The queue the service consumes MassTransit-enveloped clinic events from (.NET publishers).</summary>
    public const string EnvelopeQueue = "outcomes-ingestion-envelope";

    /// <summary>Content type of a plain JSON body; a message without a content type is read as JSON too.</summary>
    public const string JsonContentType = "application/json";

    /// <summary>The routing key names each message type: "v1.&lt;message-type&gt;".</summary>
    public static readonly IReadOnlyDictionary<string, Type> MessageTypes = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        ["patient-enrolled"] = typeof(PatientEnrolled),
        ["treatment-session-given"] = typeof(TreatmentSessionGiven),
        ["phq9-completed"] = typeof(Phq9Completed),
        ["course-ended"] = typeof(CourseEnded),
        ["fact-retracted"] = typeof(FactRetracted),
    };

    /// <summary>Routing key for a message type name, e.g. "v1.phq9-completed".</summary>
    public static string RoutingKey(string messageType) => $"{Version}.{messageType}";

    /// <summary>Routing key for a contract type.</summary>
    public static string RoutingKey(Type contract) =>
        RoutingKey(MessageTypes.Single(pair => pair.Value == contract).Key);

    /// <summary>
    /// JSON settings of the wire: camelCase names, enumerations as their documented strings, and unknown
    /// properties rejected so that no free text can ride along.
    /// </summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        // Exact-case names: a body with both eventId and EventId must not be read as either.
        PropertyNameCaseInsensitive = false,
        AllowDuplicateProperties = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        NumberHandling = JsonNumberHandling.Strict,
        AllowTrailingCommas = false,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        Converters = { new WireTimestampConverter() },
        // JSON for machines, never embedded in HTML: "90+" stays "90+" rather than "90\u002B".
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The wire names of a contract enumeration, in declaration order (e.g. "18-24" ... "90+").</summary>
    public static IReadOnlyList<string> EnumNames(Type enumType) =>
        enumType.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .OrderBy(f => Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture))
            .Select(f => f.GetCustomAttributes(typeof(JsonStringEnumMemberNameAttribute), false) is [JsonStringEnumMemberNameAttribute a, ..] ? a.Name : f.Name)
            .ToArray();

    /// <summary>The wire name of one enumeration value, e.g. "90+".</summary>
    public static string EnumName<TEnum>(TEnum value) where TEnum : struct, Enum =>
        EnumNames(typeof(TEnum))[Array.IndexOf(Enum.GetValues<TEnum>(), value)];

    /// <summary>The allowed values of an enumeration as a rule's text: "female", "male", ... (never escaped).</summary>
    public static string OneOf(Type enumType) => string.Join(", ", EnumNames(enumType).Select(n => $"\"{n}\""));
}
