using System.Buffers;
using System.Buffers.Binary;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Service.CourseOutcomes;

/// A course's cohort attributes and derived outcome in a compact binary row. A report over 300,000 courses reads
/// every row; JSON (a Marten document) would spend most of the report's second parsing. The layout is private to
/// this class and versioned by its first byte: a row in another layout is rebuilt, never guessed at.
public static class CourseOutcomeCodec
{
    public const byte Layout = 2;

    public static byte[] Encode(CourseAttributes? attributes, CourseOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var w = new RowBytesWriter(48 + 12 * outcome.Series.Count);
        w.Byte(Layout);
        w.Bool(attributes is not null);
        if (attributes is not null)
        {
            w.Byte((byte)attributes.Modality);
            w.Byte((byte)attributes.AgeBand);
            w.Byte((byte)attributes.Sex);
            w.Byte((byte)attributes.DiagnosisGroup);
            w.Int(attributes.PriorFailedTrials);
            w.Int(attributes.EnrolmentYear);
        }
        w.Bool(outcome.EnrolmentKnown);
        w.Long(outcome.FirstSessionAt?.UtcTicks ?? long.MinValue);
        w.Int(outcome.SessionsReceived);
        w.Bool(outcome.CourseEnded);
        w.NullableInt(outcome.EndReason is { } reason ? (int)reason : null);
        w.NullableInt(outcome.CourseEndDay);
        w.Int(outcome.Series.Count);
        var baseline = -1;
        var previous = 0L;
        for (var i = 0; i < outcome.Series.Count; i++)
        {
            var a = outcome.Series[i];
            if (outcome.Baseline is { } b && b == a) baseline = i;
            // Each time as the step from the one before: days apart take 6 bytes instead of 8.
            w.VarLong(a.OccurredAt.UtcTicks - previous);
            previous = a.OccurredAt.UtcTicks;
            w.NullableInt(a.Day);
            w.Int(a.SessionsReceived);
            w.Byte((byte)a.Total);
            w.Bool(a.IsTotalOnly);
            w.NullableInt(a.Item9);
        }
        w.Int(outcome.SupersededSameDayScores);
        w.NullableInt(outcome.LastAssessmentDay);
        w.Int(baseline);
        w.NullableInt(outcome.NoBaselineReason is { } nb ? (int)nb : null);
        w.Bool(outcome.Eligible);
        Milestone(w, outcome.FirstResponse);
        Milestone(w, outcome.FirstRemission);
        w.Bool(outcome.ResponseOnset is not null);
        if (outcome.ResponseOnset is { } onset)
        {
            w.Bool(onset.Responded);
            w.Int(onset.Day);
            w.Int(onset.SessionsReceived);
        }
        Durability(w, outcome.LossOfResponse);
        Durability(w, outcome.Relapse);
        w.Flag(outcome.SustainedResponse);
        w.Flag(outcome.RemissionEver);
        w.Flag(outcome.ResponseByEndOfInduction);
        w.NullableInt(outcome.ChangeFromBaseline);
        w.Flag(outcome.ReliableImprovement);
        w.Flag(outcome.MinimalClinicallyImportantImprovement);
        var item9 = outcome.Item9;
        w.NullableInt(item9.BaselineItem9);
        w.Flag(item9.PositiveAtBaseline);
        w.Flag(item9.NewDuringTreatment);
        w.Flag(item9.Resolved);
        w.NullableInt(item9.LastKnownItem9);
        w.Bool(item9.AnyPositive);
        return w.ToArray();
    }

    /// Reads a row back as the report's member, stamped with the report's moment (CourseOutcome.KnownAt).
    /// The definitions must be those the row was derived under (the table keys rows by their version).
    /// Series and repeated values go to the context (one per report and thread).
    public static CohortMember Decode(CourseKey course, ReadOnlySpan<byte> row, OutcomeDefinitions definitions, DateTimeOffset asOf,
        DecodeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(definitions);
        var r = new RowBytesReader(row);
        if (r.Byte() != Layout)
            throw new InvalidDataException($"Outcome row of {course} has layout {row[0]}, expected {Layout}; rebuild the outcome read model");
        CourseAttributes? attributes = null;
        if (r.Bool())
            attributes = context.Shared(new CourseAttributes((Modality)r.Byte(), (AgeBand)r.Byte(), (Sex)r.Byte(), (DiagnosisGroup)r.Byte(), r.Int(), r.Int()));
        var enrolmentKnown = r.Bool();
        var firstSessionTicks = r.Long();
        var sessions = r.Int();
        var ended = r.Bool();
        var endReason = r.NullableInt();
        var endDay = r.NullableInt();
        var series = context.Take(r.Int());
        var ticks = 0L;
        for (var i = 0; i < series.Count; i++)
        {
            ticks += r.VarLong();
            var day = r.NullableInt();
            var received = r.Int();
            var total = r.Byte();
            series[i] = new Phq9Assessment(new DateTimeOffset(ticks, TimeSpan.Zero), day, received, total, Phq9Score.SeverityOf(total),
                r.Bool(), r.NullableInt());
        }
        var superseded = r.Int();
        var lastDay = r.NullableInt();
        var baseline = r.Int();
        var noBaseline = r.NullableInt();
        var eligible = r.Bool();
        var firstResponse = Milestone(ref r);
        var firstRemission = Milestone(ref r);
        ResponseOnset? onset = r.Bool() ? new ResponseOnset(r.Bool(), r.Int(), r.Int()) : null;
        var loss = Durability(ref r);
        var relapse = Durability(ref r);
        var sustained = r.Flag();
        var remissionEver = r.Flag();
        var byEndOfInduction = r.Flag();
        var change = r.NullableInt();
        var reliable = r.Flag();
        var mcid = r.Flag();
        var item9Status = new Item9Status(r.NullableInt(), r.Flag(), r.Flag(), r.Flag(), r.NullableInt(), r.Bool());

        var firstSessionAt = firstSessionTicks == long.MinValue ? (DateTimeOffset?)null : new DateTimeOffset(firstSessionTicks, TimeSpan.Zero);
        var outcome = new CourseOutcome
        {
            DefinitionsId = definitions.Id,
            DefinitionsVersion = definitions.Version,
            AsOf = asOf,
            EnrolmentKnown = enrolmentKnown,
            FirstSessionAt = firstSessionAt,
            SessionsReceived = sessions,
            CourseEnded = ended,
            EndReason = endReason is { } er ? (CourseEndReason)er : null,
            CourseEndDay = endDay,
            Series = series,
            SupersededSameDayScores = superseded,
            LastAssessmentDay = lastDay,
            Baseline = baseline >= 0 ? series[baseline] : null,
            NoBaselineReason = noBaseline is { } n ? (NoBaselineReason)n : null,
            Eligible = eligible,
            FirstResponse = firstResponse,
            FirstRemission = firstRemission,
            ResponseOnset = onset,
            LossOfResponse = loss,
            Relapse = relapse,
            Durability = definitions.Durability == DurabilityDefinition.Relapse ? relapse : loss,
            SustainedResponse = sustained,
            RemissionEver = remissionEver,
            ResponseByEndOfInduction = CourseOutcome.ResponseByEndOfInductionAt(asOf, eligible, firstResponse, ended, firstSessionAt,
                byEndOfInduction, definitions),
            ChangeFromBaseline = change,
            ReliableImprovement = reliable,
            MinimalClinicallyImportantImprovement = mcid,
            Item9 = item9Status,
        };
        return new CohortMember(course, attributes, outcome);
    }

    private static void Milestone(RowBytesWriter w, Milestone? m)
    {
        w.Bool(m is not null);
        if (m is not { } v) return;
        w.Int(v.Day);
        w.Int(v.SessionsReceived);
        w.Int(v.Total);
    }

    private static void Durability(RowBytesWriter w, DurabilityTime? d)
    {
        w.Bool(d is not null);
        if (d is not { } v) return;
        w.Bool(v.Event);
        w.Int(v.DaysFromOnset);
        w.Int(v.Day);
        w.Int(v.SessionsReceived);
    }

    private static Milestone? Milestone(ref RowBytesReader r) => r.Bool() ? new Milestone(r.Int(), r.Int(), r.Int()) : null;

    private static DurabilityTime? Durability(ref RowBytesReader r) => r.Bool() ? new DurabilityTime(r.Bool(), r.Int(), r.Int(), r.Int()) : null;

    /// What decoding one report's rows shares between them: slices of large arrays for the PHQ-9 series, and one
    /// instance per clinic id and per attribute combination. A report over 300,000 courses would otherwise allocate
    /// millions of small objects that all survive until it is done, and collecting them cost more than decoding.
    /// One context per report and thread.
    public sealed class DecodeContext : IDisposable
    {
        private const int ChunkSize = 1 << 16;
        // Series chunks are large-object-heap arrays; renting them keeps reports from churning that heap (which
        // triggers full collections). They go back when the report that used them is computed (Dispose).
        private static readonly System.Buffers.ArrayPool<Phq9Assessment> Chunks = System.Buffers.ArrayPool<Phq9Assessment>.Create(ChunkSize, 128);
        private readonly List<Phq9Assessment[]> _rented = [];
        private Phq9Assessment[] _chunk = [];
        private int _used;
        private readonly Dictionary<CourseAttributes, CourseAttributes> _attributes = [];
        private readonly Dictionary<string, string> _clinics = new(StringComparer.Ordinal);

        internal ArraySegment<Phq9Assessment> Take(int count)
        {
            if (count == 0) return ArraySegment<Phq9Assessment>.Empty;
            if (_chunk.Length - _used < count)
            {
                _chunk = count <= ChunkSize ? Chunks.Rent(ChunkSize) : new Phq9Assessment[count];
                if (count <= ChunkSize) _rented.Add(_chunk);
                _used = 0;
            }
            var slice = new ArraySegment<Phq9Assessment>(_chunk, _used, count);
            _used += count;
            return slice;
        }

        /// Returns the series arrays: no member decoded with this context may be read afterwards.
        public void Dispose()
        {
            foreach (var chunk in _rented) Chunks.Return(chunk);
            _rented.Clear();
            _chunk = [];
        }

        internal CourseAttributes Shared(CourseAttributes attributes)
        {
            if (_attributes.TryGetValue(attributes, out var shared)) return shared;
            _attributes[attributes] = attributes;
            return attributes;
        }

        /// The course key of a stream key, its clinic id shared.
        public CourseKey Key(string streamKey)
        {
            ArgumentNullException.ThrowIfNull(streamKey);
            var first = streamKey.IndexOf('/', StringComparison.Ordinal);
            var last = streamKey.LastIndexOf('/');
            if (first <= 0 || last <= first + 1 || !int.TryParse(streamKey.AsSpan(last + 1), out var course))
                throw new FormatException($"'{streamKey}' is not a course stream key (clinic/patientKey/course)");
            var lookup = _clinics.GetAlternateLookup<ReadOnlySpan<char>>();
            if (!lookup.TryGetValue(streamKey.AsSpan(0, first), out var clinic))
            {
                clinic = streamKey[..first];
                _clinics[clinic] = clinic;
            }
            return new CourseKey(clinic, streamKey[(first + 1)..last], course);
        }
    }
}
