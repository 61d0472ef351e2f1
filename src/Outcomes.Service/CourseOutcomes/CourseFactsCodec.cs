using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Route = Outcomes.Domain.Courses.Route;

namespace Outcomes.Service.CourseOutcomes;

/// Every fact stored for a course, in a compact binary row next to its outcome. An export at the latest position
/// reads 300,000 of these (about 250 bytes each) instead of sorting and parsing five million JSON events, and derives
/// each course under the export's own definitions exactly as from the events. Every value survives the round trip:
/// times with their offsets, doses with their scale, item scores; sessions and scores are stored in a canonical order
/// (CourseFacts.InCanonicalOrder), which the derivation and the export do not depend on.
/// The layout is private to this class and versioned by its first byte.
public static class CourseFactsCodec
{
    public const byte Layout = 1;

    public static byte[] Encode(CourseFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        // Ingestion holds a course's facts in time order, a rebuild in stream order: the same facts, the same bytes.
        facts = facts.InCanonicalOrder();
        var w = new RowBytesWriter(32 + 16 * facts.Sessions.Count + 20 * facts.Scores.Count);
        w.Byte(Layout);
        var previous = 0L;
        // Each time as the step from the one before (facts are mostly a few days apart: 4-5 bytes instead of 8).
        void Time(DateTimeOffset at)
        {
            w.VarLong(at.UtcTicks - previous);
            previous = at.UtcTicks;
            w.Int((int)(at.Offset.Ticks / TimeSpan.TicksPerMinute));
        }

        w.Bool(facts.Enrolment is not null);
        if (facts.Enrolment is { } e)
        {
            Time(e.OccurredAt);
            w.Byte((byte)e.AgeBand);
            w.Byte((byte)e.Sex);
            w.Byte((byte)e.DiagnosisGroup);
            w.Int(e.PriorFailedTrials);
            w.Byte((byte)e.Modality);
            w.Int(e.EnrolmentYear);
        }
        w.Int(facts.Sessions.Count);
        foreach (var s in facts.Sessions)
        {
            Time(s.OccurredAt);
            w.Byte((byte)s.Modality);
            Decimal(w, s.Dose);
            w.Byte((byte)s.DoseUnit);
            w.Byte((byte)s.Route);
        }
        w.Int(facts.Scores.Count);
        foreach (var p in facts.Scores)
        {
            Time(p.OccurredAt);
            w.Byte(checked((byte)p.Score.Total));
            w.Bool(p.Score.Items is not null);
            if (p.Score.Items is { } items)
            {
                w.Int(items.Count);
                foreach (var item in items) w.Int(item);
            }
        }
        w.Bool(facts.Ended is not null);
        if (facts.Ended is { } end)
        {
            Time(end.OccurredAt);
            w.Byte((byte)end.Reason);
        }
        return w.ToArray();
    }

    public static CourseFacts Decode(ReadOnlySpan<byte> row)
    {
        var r = new RowBytesReader(row);
        if (row.IsEmpty || r.Byte() != Layout)
            throw new InvalidDataException($"Course facts row has layout {(row.IsEmpty ? "none" : row[0])}, expected {Layout}; rebuild the outcome read model");
        var previous = 0L;
        PatientEnrolled? enrolment = null;
        if (r.Bool())
            enrolment = new PatientEnrolled(Time(ref r, ref previous), (AgeBand)r.Byte(), (Sex)r.Byte(), (DiagnosisGroup)r.Byte(), r.Int(),
                (Modality)r.Byte(), r.Int());
        var sessions = new TreatmentSessionGiven[r.Int()];
        for (var i = 0; i < sessions.Length; i++)
            sessions[i] = new TreatmentSessionGiven(Time(ref r, ref previous), (Modality)r.Byte(), Decimal(ref r), (DoseUnit)r.Byte(), (Route)r.Byte());
        var scores = new Phq9Completed[r.Int()];
        for (var i = 0; i < scores.Length; i++)
        {
            var at = Time(ref r, ref previous);
            var total = (int)r.Byte();
            int[]? items = null;
            if (r.Bool())
            {
                items = new int[r.Int()];
                for (var j = 0; j < items.Length; j++) items[j] = r.Int();
            }
            scores[i] = new Phq9Completed(at, new Phq9Score(total, items));
        }
        CourseEnded? ended = null;
        if (r.Bool()) ended = new CourseEnded(Time(ref r, ref previous), (CourseEndReason)r.Byte());
        if (!r.AtEnd) throw new InvalidDataException("Course facts row has bytes after its last fact; rebuild the outcome read model");
        return new CourseFacts(enrolment, sessions, scores, ended);
    }

    private static DateTimeOffset Time(ref RowBytesReader r, ref long previous)
    {
        previous += r.VarLong();
        var offset = TimeSpan.FromMinutes(r.Int());
        return new DateTimeOffset(previous, TimeSpan.Zero).ToOffset(offset);
    }

    /// A dose exactly as given, scale included (2.50 stays 2.50): sign and scale in one byte, the 96-bit
    /// coefficient as two varints.
    private static void Decimal(RowBytesWriter w, decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var scale = (byte)((bits[3] >> 16) & 0xFF);
        w.Byte((byte)(scale | ((bits[3] & int.MinValue) != 0 ? 0x80 : 0)));
        w.VarUnsigned((uint)bits[0] | ((ulong)(uint)bits[1] << 32));
        w.VarUnsigned((uint)bits[2]);
    }

    private static decimal Decimal(ref RowBytesReader r)
    {
        var head = r.Byte();
        var low = r.VarUnsigned();
        var high = (uint)r.VarUnsigned();
        return new decimal((int)(uint)low, (int)(uint)(low >> 32), (int)high, (head & 0x80) != 0, (byte)(head & 0x7F));
    }
}
