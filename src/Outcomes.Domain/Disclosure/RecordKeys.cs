using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Outcomes.Domain.Courses;

namespace Outcomes.Domain.Disclosure;

/// Each course's permanent record key for the cell-key method: 0..255, uniform, fixed for the life of the deployment.
/// Derived with HMAC-SHA256 under the deployment's secret rather than stored, so every way of reading courses (read
/// model, release snapshot, replay) gives the same key, and nobody without the secret can compute one: the noise of a
/// cell cannot be predicted from the courses it holds.
public sealed class RecordKeys : IDisposable
{
    public const int Range = 256;
    private readonly byte[] _secret;

    // A key never changes, and a protected report of 300,000 courses would otherwise spend most of its time on HMACs
    // (measured: 1.4-6 s under load against 0.7-1 s for the rest of the report). One HMAC instance per thread keeps the
    // key schedule instead of rebuilding it for every course.
    private readonly ConcurrentDictionary<CourseKey, byte> _known = new();
    private readonly ThreadLocal<HMACSHA256> _hmac;

    public RecordKeys(byte[] secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length < 16) throw new ArgumentException("The record-key secret must be at least 16 bytes", nameof(secret));
        _secret = secret.ToArray();
        _hmac = new ThreadLocal<HMACSHA256>(() => new HMACSHA256(_secret), trackAllValues: true);
    }

    public int Of(CourseKey course)
    {
        ArgumentNullException.ThrowIfNull(course);
        if (_known.TryGetValue(course, out var known)) return known;
        Span<byte> text = stackalloc byte[256];
        var length = Encoding.UTF8.GetBytes(course.ToString(), text);
        Span<byte> hash = stackalloc byte[32];
        _hmac.Value!.TryComputeHash(text[..length], hash, out _);
        _known.TryAdd(course, hash[0]);
        return hash[0];
    }

    public void Dispose()
    {
        foreach (var hmac in _hmac.Values) hmac.Dispose();
        _hmac.Dispose();
    }
}
