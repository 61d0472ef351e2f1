namespace Outcomes.Cli.Fhir;

/// <summary>
/// One spelling per referenced resource, so that "Patient/7", "https://ehr.example/fhir/Patient/7/_history/2"
/// and a Bundle's "urn:uuid:…" for the same entry all meet under one patient.
/// </summary>
public static class FhirReferences
{
    /// <summary>
    /// "Type/id" for a relative or absolute reference (history dropped), the Bundle's own spelling for an entry's
    /// fullUrl, the urn itself for an urn that is not in the Bundle, null for none or a contained ("#") one.
    /// </summary>
    public static string? Canonical(string? reference, IReadOnlyDictionary<string, string>? bundle = null)
    {
        if (string.IsNullOrWhiteSpace(reference)) return null;
        var r = reference.Trim();
        if (bundle is not null && bundle.TryGetValue(r, out var inBundle)) return inBundle;
        if (r.StartsWith('#')) return null;
        if (r.StartsWith("urn:", StringComparison.OrdinalIgnoreCase)) return r;
        var history = r.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0) r = r[..history];
        var parts = r.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) return null;
        return parts[^2] + "/" + parts[^1];
    }

    /// <summary>
    /// How a resource refers to itself: "Type/id", or "Type/" + its Bundle fullUrl when it has no id (so the
    /// Bundle's references to that fullUrl resolve to the same spelling); null when it has neither, and so
    /// cannot be told apart from another resource.
    /// </summary>
    public static string? Self(string typeName, string? id, string? fullUrl) =>
        !string.IsNullOrEmpty(id) ? typeName + "/" + id : !string.IsNullOrEmpty(fullUrl) ? typeName + "/" + fullUrl : null;

    /// <summary>The resource type a self reference names.</summary>
    public static string TypeOf(string self) => self[..Math.Max(0, self.IndexOf('/'))];
}
