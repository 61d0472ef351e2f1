using System.Security.Cryptography;
using System.Text;
using Outcomes.Domain.Courses;

namespace Outcomes.Domain.Disclosure;

/// Each course's permanent record key for the cell-key method: 0..255, uniform, fixed for the life of the deployment.
/// Derived with HMAC-SHA256 under the deployment's secret rather than stored, so every way of reading courses (read
/// model, release snapshot, replay) gives the same key, and nobody without the secret can compute one: the noise of a
/// cell cannot be predicted from the courses it holds.
public sealed class RecordKeys
{
    public const int Range = 256;
    private readonly byte[] _secret;

    public RecordKeys(byte[] secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length < 16) throw new ArgumentException("The record-key secret must be at least 16 bytes", nameof(secret));
        _secret = secret.ToArray();
    }

    public int Of(CourseKey course)
    {
        ArgumentNullException.ThrowIfNull(course);
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(course.ToString()), hash);
        return hash[0];
    }
}
