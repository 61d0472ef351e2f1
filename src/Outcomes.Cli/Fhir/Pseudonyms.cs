using System.Security.Cryptography;
using System.Text;

namespace Outcomes.Cli.Fhir;

/// <summary>
/// The clinic's secret, and everything derived from it: patient keys and event ids. Both are keyed HMAC-SHA256,
/// so nobody without the key file can go from an EHR identifier or resource id to a key or an event id (a plain
/// hash of "Patient/123" could be found by trying ids in turn). The same key file always gives the same keys and
/// ids: keep it, or every patient comes back under a new key.
/// </summary>
public sealed class Pseudonyms
{
    public const int MinimumSecretBytes = 32;

    private readonly byte[] _secret;

    public Pseudonyms(byte[] secret)
    {
        if (secret.Length < MinimumSecretBytes)
            throw new ArgumentException($"the key must be at least {MinimumSecretBytes} bytes", nameof(secret));
        _secret = secret;
    }

    /// <summary>Reads a key file: its text, trimmed (as `outcomes fhir new-key` writes it), at least 32 bytes.</summary>
    public static (Pseudonyms? Pseudonyms, string? Problem) FromKeyFile(string path)
    {
        if (!File.Exists(path)) return (null, $"--key-file: no such file: {path}");
        var secret = Encoding.UTF8.GetBytes(File.ReadAllText(path).Trim());
        if (secret.Length < MinimumSecretBytes)
            return (null, $"--key-file: the key must be at least {MinimumSecretBytes} bytes; create one with `outcomes fhir new-key --out {path}`");
        return (new Pseudonyms(secret), null);
    }

    /// <summary>A new random key file text: 48 random bytes, base64.</summary>
    public static string NewKeyText() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    /// <summary>
    /// The patient key for "system|value" (or "Patient/id"): "pk", 32 lower-case hex digits of the keyed HMAC, and
    /// "v1" naming this derivation. The ending letter-digit pair keeps every key clear of the service's identifier
    /// checks (it always has a digit, and can never read as a prefix followed by digits, like a record number).
    /// </summary>
    public string PatientKey(string identifier)
    {
        var mac = HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes("patient|" + identifier));
        return "pk" + Convert.ToHexStringLower(mac.AsSpan(0, 16)) + "v1";
    }

    /// <summary>
    /// A deterministic event id: the keyed HMAC of the fact's name laid out as a UUID (version 8, RFC 9562's
    /// custom layout, with the RFC variant bits). The same resource version and fact always give the same id, so a
    /// re-run or an overlapping export is stored once.
    /// </summary>
    public Guid EventId(string clinicId, string factName)
    {
        var mac = HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes("event|" + clinicId + "|" + factName));
        Span<byte> bytes = stackalloc byte[16];
        mac.AsSpan(0, 16).CopyTo(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
