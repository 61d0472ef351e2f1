using System.Security.Cryptography;
using System.Text;

namespace Outcomes.Cli.Pseudonymise;

/// <summary>
/// The recommended patient key: HMAC-SHA-256, under a clinic's secret key, of the clinic id and the
/// patient's record id in the clinic's system, written "pk-" and 24 hex digits (96 bits). The same record
/// always gets the same key, so an integration engine needs no lookup table; without the key file nobody
/// can go from a record id to its key or back. The form passes PatientKeyRule by construction: hex letters
/// spell none of the words it looks for, and the hash is one segment.
/// </summary>
public sealed class PatientPseudonym
{
    public const string Prefix = "pk-";
    public const int HexDigits = 24;
    public const int MinimumKeyBytes = 32;

    private readonly byte[] _key;

    public PatientPseudonym(byte[] key)
    {
        if (key.Length < MinimumKeyBytes)
            throw new ArgumentException($"the key must be at least {MinimumKeyBytes} bytes, got {key.Length}", nameof(key));
        _key = key.ToArray();
    }

    /// <summary>The key file holds the secret as base64 text (as <c>--create-key</c> writes it).</summary>
    public static PatientPseudonym FromKeyFile(string path) => new(Convert.FromBase64String(File.ReadAllText(path).Trim()));

    public static string NewKeyText() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(MinimumKeyBytes));

    /// <summary>The patient key of one record id at one clinic.</summary>
    public string KeyOf(string clinicId, string recordId)
    {
        // The clinic is part of the message, so the same record number at two clinics gives two unrelated keys.
        var message = Encoding.UTF8.GetBytes($"{clinicId}\n{recordId}");
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(_key, message, hash);
        return Prefix + Convert.ToHexStringLower(hash[..(HexDigits / 2)]);
    }
}
