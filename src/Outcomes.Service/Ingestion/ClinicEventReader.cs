using System.Text.Json;
using Outcomes.Contracts;
using Outcomes.Domain.Courses;

namespace Outcomes.Service.Ingestion;

/// A valid fact ready to append: its stream, the stored event, and the publisher's metadata.
public sealed record CourseFact(CourseKey Course, Guid EventId, string MessageType, object Event);

/// Why a message was refused. Deliberately holds no patient data: the patient key may itself be
/// the identifier that should never have been sent.
public sealed record Rejection(string MessageType, Guid? EventId, string? ClinicId, string Field, string Rule)
{
    public string Reason => $"{Field}: {Rule}";
}

/// Reads one wire message (routing key + JSON body), validates it against contract v1 and
/// domain.md's rules, and translates it into a stored course event. Pure: the clock is an argument.
public static class ClinicEventReader
{
    public static (CourseFact? Fact, Rejection? Rejection) Read(string routingKey, ReadOnlySpan<byte> body, DateTimeOffset now) =>
        Read(routingKey, body, now, WireContract.JsonOptions);

    /// The contract's rules with one difference: MassTransit writes decimals as strings ("dose": "56"), so the
    /// envelope's message is read with that spelling of a decimal allowed; everything else is as strict.
    public static readonly JsonSerializerOptions EnvelopeJsonOptions = new(WireContract.JsonOptions)
    {
        Converters = { new DecimalAsMassTransitWritesIt() },
    };

    private sealed class DecimalAsMassTransitWritesIt : System.Text.Json.Serialization.JsonConverter<decimal>
    {
        public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String
                && decimal.TryParse(reader.GetString(), System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : reader.GetDecimal();

        public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
    }

    public static (CourseFact? Fact, Rejection? Rejection) Read(string routingKey, ReadOnlySpan<byte> body, DateTimeOffset now,
        JsonSerializerOptions wire)
    {
        var messageType = MessageTypeOf(routingKey, out var routingRule);
        // Checked before anything reads a string: the deserializer throws on a lone byte such as C3 inside a
        // string (not a JsonException), which would otherwise look like a transient failure and be retried.
        if (!System.Text.Unicode.Utf8.IsValid(body))
            return Reject(new Rejection(routingRule is null ? messageType : Bounded(routingKey), null, null, "body", BodyNotUtf8));
        // Peeked only for a refusal: a valid body is read once, by the deserializer.
        if (routingRule is not null)
        {
            var (eventId, clinicId) = Peek(body);
            return Reject(new Rejection(Bounded(routingKey), eventId, clinicId, "routingKey", routingRule));
        }

        IClinicEvent message;
        try
        {
            message = (IClinicEvent)(JsonSerializer.Deserialize(body, WireContract.MessageTypes[messageType], wire)
                ?? throw new JsonException("The body is the JSON literal null.", "$", null, null));
        }
        catch (JsonException ex)
        {
            var (eventId, clinicId) = Peek(body);
            var (field, rule) = DescribeJsonError(ex, WireContract.MessageTypes[messageType]);
            return Reject(new Rejection(messageType, eventId, clinicId, field, rule));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // Whatever else the body does to the deserializer is still the body's fault, never a reason to retry.
            var (eventId, clinicId) = Peek(body);
            return Reject(new Rejection(messageType, eventId, clinicId, "body", BodyNotContract));
        }

        return Validate(messageType, message, now);
    }

    public const string BodyNotUtf8 = "must be UTF-8 text (a lone or malformed byte sequence was found)";
    public const string BodyNotContract = "must be a single JSON object (UTF-8) matching the contract v1 schema";
    public const string UuidRule = "must be a UUID when given (it is stored with the fact: no names, record numbers or free text)";

    /// The publisher's tracing metadata is stored with the fact, so it must be as opaque as the patient key.
    public static Rejection? CheckMetadata(CourseFact fact, string correlationField, string? correlationId, string causationField, string? causationId)
    {
        if (correlationId is not null && !IsUuid(correlationId))
            return new Rejection(fact.MessageType, fact.EventId, fact.Course.ClinicId, correlationField, UuidRule);
        if (causationId is not null && !IsUuid(causationId))
            return new Rejection(fact.MessageType, fact.EventId, fact.Course.ClinicId, causationField, UuidRule);
        return null;
    }

    /// The refusal the writer's outcome stands for, if any (a reused event id, a retraction of no fact of its course).
    public static Rejection? Refusal(AppendOutcome outcome, CourseFact fact) => outcome switch
    {
        AppendOutcome.Conflict => EventIdReused(fact),
        AppendOutcome.RetractsUnknown => RetractsUnknown(fact),
        AppendOutcome.RetractsRetraction => RetractsRetraction(fact),
        _ => null,
    };

    /// The refusal of a fact whose event id is already stored with other content.
    public static Rejection EventIdReused(CourseFact fact) => new(fact.MessageType, fact.EventId, fact.Course.ClinicId, "eventId",
        "was already used for a different fact (each fact needs its own event id; a re-send must repeat the fact exactly)");

    private static bool IsUuid(string value) => value.Length <= 38 && Guid.TryParse(value, out _);

    /// Validates an already-typed message (the MassTransit envelope path) with the same rules.
    public static (CourseFact? Fact, Rejection? Rejection) Validate(string messageType, IClinicEvent message, DateTimeOffset now)
    {
        var clinicId = message.ClinicId is { } c && ContractLimits.IsClinicId(c) ? c : null;
        Rejection Fail(string field, string rule) =>
            new(messageType, message.EventId == Guid.Empty ? null : message.EventId, clinicId, field, rule);

        if (message.EventId == Guid.Empty)
            return Reject(Fail("eventId", "is required and must be a non-zero UUID"));
        if (string.IsNullOrEmpty(message.ClinicId))
            return Reject(Fail("clinicId", "is required"));
        if (clinicId is null)
            return Reject(Fail("clinicId", ContractLimits.ClinicIdRule));
        if (string.IsNullOrEmpty(message.PatientKey))
            return Reject(Fail("patientKey", "is required"));
        if (Domain.Courses.PatientKeyRule.Check(message.PatientKey) is { } keyRule)
            return Reject(Fail("patientKey", keyRule));
        if (message.Course is < ContractLimits.FirstCourse or > ContractLimits.MaxCourse)
            return Reject(Fail("course", $"must be {ContractLimits.FirstCourse}-{ContractLimits.MaxCourse} when given"));
        if (message.OccurredAt == default)
            return Reject(Fail("occurredAt", "is required (ISO 8601 date-time with offset)"));
        if (message.OccurredAt > now + ContractLimits.AllowedClockSkew)
            return Reject(Fail("occurredAt", $"must not be in the future (more than {ContractLimits.AllowedClockSkew.TotalMinutes:0} minutes ahead of the server clock)"));
        if (message.OccurredAt < ContractLimits.EarliestFact)
            return Reject(Fail("occurredAt", $"must not be before {ContractLimits.EarliestFact:yyyy-MM-dd}"));

        var (stored, violation) = message switch
        {
            Contracts.PatientEnrolled m => Enrolment(m, now),
            Contracts.TreatmentSessionGiven m => Session(m),
            Contracts.Phq9Completed m => Phq9(m),
            Contracts.CourseEnded m => Ended(m),
            Contracts.FactRetracted m => Retraction(m),
            _ => (null, ("messageType", $"is not a v1 message type")),
        };
        if (violation is { } v)
            return Reject(Fail(v.Field, v.Rule));

        var course = new CourseKey(message.ClinicId, message.PatientKey, message.Course ?? CourseKey.FirstCourse);
        return (new CourseFact(course, message.EventId, messageType, stored!), null);
    }

    private static (object?, (string Field, string Rule)?) Enrolment(Contracts.PatientEnrolled m, DateTimeOffset now)
    {
        if (!Enum.IsDefined(m.AgeBand)) return (null, ("ageBand", OneOf<Contracts.AgeBand>()));
        if (!Enum.IsDefined(m.Sex)) return (null, ("sex", OneOf<Contracts.Sex>()));
        if (!Enum.IsDefined(m.DiagnosisGroup)) return (null, ("diagnosisGroup", OneOf<Contracts.DiagnosisGroup>()));
        if (!Enum.IsDefined(m.Modality)) return (null, ("modality", OneOf<Contracts.Modality>()));
        if (m.PriorFailedTrials is < 0 or > ContractLimits.MaxPriorFailedTrials)
            return (null, ("priorFailedTrials", $"must be 0-{ContractLimits.MaxPriorFailedTrials}"));
        if (m.EnrolmentYear < ContractLimits.EarliestFactYear || m.EnrolmentYear > now.Year)
            return (null, ("enrolmentYear", $"must be {ContractLimits.EarliestFactYear}-{now.Year}"));
        if (Math.Abs(m.EnrolmentYear - m.OccurredAt.Year) > 1)
            return (null, ("enrolmentYear", $"must match the year of occurredAt ({m.OccurredAt.Year})"));
        return (new Domain.Courses.PatientEnrolled(m.OccurredAt.ToUniversalTime(), Translate<Domain.Courses.AgeBand>(m.AgeBand),
            Translate<Domain.Courses.Sex>(m.Sex), Translate<Domain.Courses.DiagnosisGroup>(m.DiagnosisGroup),
            m.PriorFailedTrials, Translate<Domain.Courses.Modality>(m.Modality), m.EnrolmentYear), null);
    }

    private static (object?, (string Field, string Rule)?) Session(Contracts.TreatmentSessionGiven m)
    {
        if (!Enum.IsDefined(m.Modality)) return (null, ("modality", OneOf<Contracts.Modality>()));
        if (!Enum.IsDefined(m.DoseUnit)) return (null, ("doseUnit", OneOf<Contracts.DoseUnit>()));
        if (!Enum.IsDefined(m.Route)) return (null, ("route", OneOf<Contracts.Route>()));
        var max = m.DoseUnit == Contracts.DoseUnit.Milligrams ? (decimal)ContractLimits.MaxDoseMilligrams : ContractLimits.MaxDoseMilligramsPerKilogram;
        if (m.Dose <= 0 || m.Dose > max)
            return (null, ("dose", $"must be greater than 0 and at most {max} {Wire(m.DoseUnit)}"));
        if (!RouteFits(m.Modality, m.Route))
            return (null, ("route", $"'{Wire(m.Route)}' does not fit modality '{Wire(m.Modality)}'"));
        return (new Domain.Courses.TreatmentSessionGiven(m.OccurredAt.ToUniversalTime(), Translate<Domain.Courses.Modality>(m.Modality),
            m.Dose, Translate<Domain.Courses.DoseUnit>(m.DoseUnit), Translate<Domain.Courses.Route>(m.Route)), null);
    }

    private static (object?, (string Field, string Rule)?) Phq9(Contracts.Phq9Completed m)
    {
        var (score, violation) = Phq9Score.Create(m.Items, m.Total);
        if (violation is not null)
            return (null, (violation.Field, violation.Rule));
        return (new Domain.Courses.Phq9Completed(m.OccurredAt.ToUniversalTime(), score!), null);
    }

    private static (object?, (string Field, string Rule)?) Ended(Contracts.CourseEnded m)
    {
        if (!Enum.IsDefined(m.Reason)) return (null, ("reason", OneOf<Contracts.CourseEndReason>()));
        return (new Domain.Courses.CourseEnded(m.OccurredAt.ToUniversalTime(), Translate<Domain.Courses.CourseEndReason>(m.Reason)), null);
    }

    // Whether the named fact exists in this course, and is no retraction, needs the store: CourseBatchWriter decides that
    // (RetractsUnknown, RetractsRetraction) after taking the course's lock.
    private static (object?, (string Field, string Rule)?) Retraction(Contracts.FactRetracted m)
    {
        if (m.RetractedEventId == Guid.Empty) return (null, ("retractedEventId", "is required and must be a non-zero UUID"));
        if (m.RetractedEventId == m.EventId) return (null, ("retractedEventId", RetractsItself));
        return (new Domain.Courses.FactRetracted(m.OccurredAt.ToUniversalTime(), m.RetractedEventId), null);
    }

    public const string RetractsItself = "must name another fact than the retraction itself (its own eventId)";

    /// The refusal of a retraction whose named fact is not stored in the retraction's course. Permanent, like every
    /// refusal: a publisher sends a retraction only after the fact it retracts was confirmed (a retraction arriving
    /// first, on a redelivery path, is refused and must be sent again after the fact).
    public static Rejection RetractsUnknown(CourseFact fact) => new(fact.MessageType, fact.EventId, fact.Course.ClinicId, "retractedEventId",
        RetractsUnknownRule);

    public const string RetractsUnknownRule =
        "unknown event in this course: must name a fact already stored for the same clinic, patient key and course";

    /// The refusal of a retraction that names another retraction: a retraction is not undone; send the fact again under a new event id.
    public static Rejection RetractsRetraction(CourseFact fact) => new(fact.MessageType, fact.EventId, fact.Course.ClinicId, "retractedEventId",
        RetractsRetractionRule);

    public const string RetractsRetractionRule =
        "names a retraction: a retraction cannot be retracted (send the fact again under a new event id)";

    // Ketamine-assisted psychotherapy may use any route; the other modalities name their route.
    private static bool RouteFits(Contracts.Modality modality, Contracts.Route route) => modality switch
    {
        Contracts.Modality.IvKetamine => route == Contracts.Route.Intravenous,
        Contracts.Modality.ImKetamine => route == Contracts.Route.Intramuscular,
        Contracts.Modality.IntranasalEsketamine => route == Contracts.Route.Intranasal,
        Contracts.Modality.OralKetamine => route is Contracts.Route.Oral or Contracts.Route.Sublingual,
        _ => true,
    };

    private static readonly string KnownRoutingKeys = string.Join(", ", WireContract.MessageTypes.Keys.Select(WireContract.RoutingKey));

    private static string MessageTypeOf(string routingKey, out string? rule)
    {
        rule = null;
        var dot = routingKey.IndexOf('.');
        if (dot < 0)
        {
            rule = $"must be '<version>.<message-type>', one of {KnownRoutingKeys}";
            return routingKey;
        }
        var version = routingKey[..dot];
        var type = routingKey[(dot + 1)..];
        if (version != WireContract.Version)
            rule = $"contract version '{Bounded(version)}' is not supported; use one of {KnownRoutingKeys}";
        else if (!WireContract.MessageTypes.ContainsKey(type))
            rule = $"unknown message type '{Bounded(type)}'; use one of {KnownRoutingKeys}";
        return type;
    }

    /// Best effort: the event id and clinic id for the rejection record, even when the body is invalid.
    private static (Guid? EventId, string? ClinicId) Peek(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return (null, null);
            Guid? eventId = doc.RootElement.TryGetProperty("eventId", out var e) && e.ValueKind == JsonValueKind.String && e.TryGetGuid(out var g) ? g : null;
            string? clinicId = doc.RootElement.TryGetProperty("clinicId", out var c) && c.ValueKind == JsonValueKind.String
                && ContractLimits.IsClinicId(c.GetString()) ? c.GetString() : null;
            return (eventId, clinicId);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return (null, null);
        }
    }

    private static (string Field, string Rule) DescribeJsonError(JsonException ex, Type contract)
    {
        var message = ex.Message;
        var path = ex.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;

        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            var name = Quoted(message) ?? path ?? "body";
            var known = contract.GetProperties().Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))
                .FirstOrDefault(p => string.Equals(p, name, StringComparison.OrdinalIgnoreCase));
            return known is not null
                ? (Bounded(name), $"property names are case-sensitive: write '{known}'")
                : (Bounded(name), "unknown property is not allowed in contract v1 (no free text may ride along)");
        }
        if (message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
            return (Bounded(Quoted(message) ?? path ?? "body"), "must appear only once in the body");
        if (message.Contains("missing required properties", StringComparison.Ordinal))
        {
            var including = message.IndexOf("including:", StringComparison.Ordinal);
            var name = (including < 0 ? null : Quoted(message[including..])) ?? "body";
            return (name, "is required");
        }
        if (message.Contains("doesn't allow null values", StringComparison.Ordinal) || message.Contains("does not allow null", StringComparison.Ordinal))
            return (Quoted(message) ?? path ?? "body", "must not be null");
        if (path is not null)
        {
            var property = contract.GetProperties().FirstOrDefault(pr => string.Equals(pr.Name, path.Split('[', '.')[0], StringComparison.OrdinalIgnoreCase));
            var type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var rule = type switch
            {
                { IsEnum: true } => OneOf(type),
                _ when type == typeof(Guid) => "must be a UUID string",
                _ when type == typeof(DateTimeOffset) => WireTimestampConverter.Rule,
                _ when type == typeof(int) || type == typeof(int[]) => "must be a whole number" + (type == typeof(int[]) ? " in an array" : ""),
                _ when type == typeof(decimal) => "must be a number",
                _ when type == typeof(string) => "must be a string",
                _ => "has the wrong JSON type",
            };
            return (Bounded(path), rule);
        }
        return ("body", BodyNotContract);
    }

    // A field name comes from the body: kept short, so that a rejection never carries a payload.
    private static string Bounded(string field) => field.Length <= 64 ? field : field[..64] + "…";

    private static string? Quoted(string message)
    {
        var start = message.IndexOf('\'');
        var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start ? message[(start + 1)..end] : null;
    }

    private static (CourseFact?, Rejection?) Reject(Rejection rejection) => (null, rejection);

    private static TTo Translate<TTo>(Enum wire) where TTo : struct, Enum => Enum.Parse<TTo>(wire.ToString());

    private static string Wire<T>(T value) where T : struct, Enum => WireContract.EnumName(value);

    private static string OneOf<T>() where T : struct, Enum => OneOf(typeof(T));

    private static string OneOf(Type enumType) => "must be one of " + WireContract.OneOf(enumType) + " (a string)";
}
