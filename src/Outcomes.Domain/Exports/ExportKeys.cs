using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Outcomes.Domain.Courses;

namespace Outcomes.Domain.Exports;

/// The keyed pseudonyms of one release: subject ids, clinic codes and day shifts are HMAC-SHA-256 of the release's seed
/// and the course (or clinic) under a key only the server holds, so nobody without the key can link them to a course,
/// and another release's seed gives unrelated ids (exports of two releases cannot be joined on them). The same key and
/// seed give the same ids, so every export of one release is a subset of one table and a re-export with the manifest
/// is byte-identical.
public sealed class ExportKeys : IDisposable
{
    public const int MinimumKeyBytes = 32;
    public const int SeedBytes = 16;

    private readonly HMACSHA256 _hmac;
    private readonly byte[] _seed;
    private readonly byte[] _buffer = new byte[512];
    private readonly byte[] _hash = new byte[32];

    public ExportKeys(byte[] key, byte[] seed)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(seed);
        if (key.Length < MinimumKeyBytes) throw new ArgumentException($"the export key must be at least {MinimumKeyBytes} bytes", nameof(key));
        if (seed.Length != SeedBytes) throw new ArgumentException($"the seed must be {SeedBytes} bytes", nameof(seed));
        _hmac = new HMACSHA256(key);
        _seed = seed;
    }

    /// A release's seed: a keyed hash of the release point, so each release has its own (new ids, new day shifts) without
    /// a stored secret, and nobody without the key can compute it from the release point.
    public static byte[] ReleaseSeed(byte[] key, int releaseId, long position, DateTimeOffset cutAt)
    {
        ArgumentNullException.ThrowIfNull(key);
        var text = string.Create(CultureInfo.InvariantCulture, $"release\n{releaseId}\n{position}\n{cutAt.UtcTicks}");
        return HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text))[..SeedBytes];
    }

    /// The key of a subject's day shifts (DayJitter) in this release.
    public ulong JitterKey(CourseKey course) => Hash("jitter", course.ToString());

    /// The subject id as a number: its order is the export's row order.
    public ulong SubjectKey(CourseKey course) => Hash("course", course.ToString());

    /// Sixteen hexadecimal digits (64 bits: a collision among a million subjects has odds of about 1 in 40 million).
    public static string SubjectId(ulong key) => key.ToString("x16", CultureInfo.InvariantCulture);

    /// Codes C01, C02, ... for the clinics, in the order of their keyed hashes, so a code says nothing of the clinic.
    public IReadOnlyDictionary<string, string> ClinicCodes(IEnumerable<string> clinics)
    {
        var ordered = clinics.Distinct(StringComparer.Ordinal)
            .Select(c => (Clinic: c, Hash: Hash("clinic", c)))
            .OrderBy(c => c.Hash).ThenBy(c => c.Clinic, StringComparer.Ordinal)
            .Select(c => c.Clinic).ToArray();
        var digits = Math.Max(2, ordered.Length.ToString(CultureInfo.InvariantCulture).Length);
        return ordered.Select((c, i) => (c, "C" + (i + 1).ToString("D" + digits, CultureInfo.InvariantCulture)))
            .ToDictionary(x => x.c, x => x.Item2, StringComparer.Ordinal);
    }

    private ulong Hash(string domain, string value)
    {
        var length = 0;
        _seed.CopyTo(_buffer, 0);
        length += _seed.Length;
        length += Encoding.UTF8.GetBytes(domain, 0, domain.Length, _buffer, length);
        _buffer[length++] = 0;
        var bytes = Encoding.UTF8.GetByteCount(value);
        var input = length + bytes <= _buffer.Length ? _buffer : new byte[length + bytes];
        if (!ReferenceEquals(input, _buffer)) _buffer.AsSpan(0, length).CopyTo(input);
        length += Encoding.UTF8.GetBytes(value, 0, value.Length, input, length);
        _hmac.TryComputeHash(input.AsSpan(0, length), _hash, out _);
        return BinaryPrimitives.ReadUInt64BigEndian(_hash);
    }

    public void Dispose() => _hmac.Dispose();
}
