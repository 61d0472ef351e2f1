using System.Text.Json.Nodes;

namespace Outcomes.Service.Audit;

/// An access-audit record as a FHIR R4 AuditEvent (https://hl7.org/fhir/R4/auditevent.html), the shape audit
/// repositories and SIEMs read. One resource per record; pure.
public static class FhirAuditEvent
{
    public const string MediaType = "application/fhir+ndjson";

    /// Identifier systems of this service's own names (no registered URI exists for them).
    public const string SubjectSystem = "urn:outcomes:subject";
    public const string ClientSystem = "urn:outcomes:client";
    public const string CourseSystem = "urn:outcomes:course";
    public const string ClinicSystem = "urn:outcomes:clinic";

    public static JsonObject From(CourseAccess read)
    {
        var export = read.What == CourseAccessKinds.ResearchExport;
        var agent = new JsonObject
        {
            ["type"] = Coding("http://terminology.hl7.org/CodeSystem/extra-security-role-type", "humanuser", "human user", concept: true),
            ["who"] = new JsonObject { ["identifier"] = Identifier(SubjectSystem, read.Subject) },
            ["requestor"] = true,
            ["role"] = new JsonArray(read.Roles.Select(r => (JsonNode)new JsonObject { ["text"] = r }).ToArray()),
        };
        if (read.Client is { } client)
            agent["altId"] = client;
        if (read.RemoteAddress is { } address)
            agent["network"] = new JsonObject { ["address"] = address, ["type"] = "2" };
        var agents = new JsonArray { agent };
        if (read.Client is { } software && software != read.Subject)
            agents.Add(new JsonObject
            {
                ["type"] = Coding("http://dicom.nema.org/resources/ontology/DCM", "110150", "Application", concept: true),
                ["who"] = new JsonObject { ["identifier"] = Identifier(ClientSystem, software) },
                ["requestor"] = false,
            });

        var entities = new JsonArray();
        if (read.CourseKey is { } course)
            entities.Add(new JsonObject
            {
                ["what"] = new JsonObject { ["identifier"] = Identifier(CourseSystem, course) },
                ["type"] = Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
                ["role"] = Coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
                ["name"] = read.What,
            });
        foreach (var clinic in read.Clinics)
            entities.Add(new JsonObject
            {
                ["what"] = new JsonObject { ["identifier"] = Identifier(ClinicSystem, clinic) },
                ["type"] = Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "3", "Organization"),
                ["role"] = Coding("http://terminology.hl7.org/CodeSystem/object-role", "3", "Report"),
            });

        return new JsonObject
        {
            ["resourceType"] = "AuditEvent",
            ["id"] = read.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["type"] = export
                ? Coding("http://dicom.nema.org/resources/ontology/DCM", "110106", "Export")
                : Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"),
            ["subtype"] = new JsonArray(export
                ? Coding("urn:outcomes:audit", read.What, read.What)
                : Coding("http://hl7.org/fhir/restful-interaction", "read", "read")),
            ["action"] = export ? "E" : "R",
            ["recorded"] = read.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
            ["outcome"] = "0",
            ["agent"] = agents,
            ["source"] = new JsonObject
            {
                ["observer"] = new JsonObject { ["display"] = "Outcomes" },
                ["type"] = new JsonArray(Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")),
            },
            ["entity"] = entities,
        };
    }

    private static JsonObject Identifier(string system, string value) => new() { ["system"] = system, ["value"] = value };

    private static JsonObject Coding(string system, string code, string display, bool concept = false)
    {
        var coding = new JsonObject { ["system"] = system, ["code"] = code, ["display"] = display };
        return concept ? new JsonObject { ["coding"] = new JsonArray(coding) } : coding;
    }
}
