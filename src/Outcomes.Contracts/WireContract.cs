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

    /// <summary>Clinic identifiers: lower-case letters, digits and '-', 2-40 characters.</summary>
    public const string ClinicIdPattern = "^[a-z0-9][a-z0-9-]{1,39}$";

    /// <summary>Patient keys: an opaque token of letters, digits, '-' and '_' (further identifier checks apply).</summary>
    public const string PatientKeyPattern = "^[A-Za-z0-9_-]{8,64}$";

    /// <summary>Content type of a plain JSON body.</summary>
    public const string JsonContentType = "application/json";

    /// <summary>The routing key names each message type: "v1.&lt;message-type&gt;".</summary>
    public static readonly IReadOnlyDictionary<string, Type> MessageTypes = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        ["patient-enrolled"] = typeof(PatientEnrolled),
        ["treatment-session-given"] = typeof(TreatmentSessionGiven),
        ["phq9-completed"] = typeof(Phq9Completed),
        ["course-ended"] = typeof(CourseEnded),
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
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        NumberHandling = JsonNumberHandling.Strict,
        AllowTrailingCommas = false,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };
}
