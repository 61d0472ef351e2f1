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
    public const byte Layout = 1;

    private const int NullInt = int.MinValue;

    public static byte[] Encode(CourseAttributes? attributes, CourseOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var w = new Writer(64 + 24 * outcome.Series.Count);
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
        w.Int(outcome.EndReason is { } reason ? (int)reason : NullInt);
        w.Int(outcome.CourseEndDay ?? NullInt);
        w.Int(outcome.Series.Count);
        var baseline = -1;
        for (var i = 0; i < outcome.Series.Count; i++)
        {
            var a = outcome.Series[i];
            if (outcome.Baseline is { } b && b == a) baseline = i;
            w.Long(a.OccurredAt.UtcTicks);
            w.Int(a.Day ?? NullInt);
            w.Int(a.SessionsReceived);
            w.Byte((byte)a.Total);
            w.Byte((byte)a.Severity);
            w.Bool(a.IsTotalOnly);
            w.Int(a.Item9 ?? NullInt);
        }
        w.Int(outcome.SupersededSameDayScores);
        w.Int(outcome.LastAssessmentDay ?? NullInt);
        w.Int(baseline);
        w.Int(outcome.NoBaselineReason is { } nb ? (int)nb : NullInt);
        w.Bool(outcome.Eligible);
        w.Milestone(outcome.FirstResponse);
        w.Milestone(outcome.FirstRemission);
        w.Bool(outcome.ResponseOnset is not null);
        if (outcome.ResponseOnset is { } onset)
        {
            w.Bool(onset.Responded);
            w.Int(onset.Day);
            w.Int(onset.SessionsReceived);
        }
        w.Durability(outcome.LossOfResponse);
        w.Durability(outcome.Relapse);
        w.Flag(outcome.SustainedResponse);
        w.Flag(outcome.RemissionEver);
        w.Flag(outcome.ResponseByEndOfInduction);
        w.Int(outcome.ChangeFromBaseline ?? NullInt);
        w.Flag(outcome.ReliableImprovement);
        w.Flag(outcome.MinimalClinicallyImportantImprovement);
        var item9 = outcome.Item9;
        w.Int(item9.BaselineItem9 ?? NullInt);
        w.Flag(item9.PositiveAtBaseline);
        w.Flag(item9.NewDuringTreatment);
        w.Flag(item9.Resolved);
        w.Int(item9.LastKnownItem9 ?? NullInt);
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
        var r = new Reader(row);
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
        for (var i = 0; i < series.Count; i++)
        {
            series[i] = new Phq9Assessment(new DateTimeOffset(r.Long(), TimeSpan.Zero), r.NullableInt(), r.Int(), r.Byte(),
                (Phq9Severity)r.Byte(), r.Bool(), r.NullableInt());
        }
        var superseded = r.Int();
        var lastDay = r.NullableInt();
        var baseline = r.Int();
        var noBaseline = r.NullableInt();
        var eligible = r.Bool();
        var firstResponse = r.Milestone();
        var firstRemission = r.Milestone();
        ResponseOnset? onset = r.Bool() ? new ResponseOnset(r.Bool(), r.Int(), r.Int()) : null;
        var loss = r.Durability();
        var relapse = r.Durability();
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

    private sealed class Writer(int capacity)
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(capacity);

        public void Byte(byte value)
        {
            _buffer.GetSpan(1)[0] = value;
            _buffer.Advance(1);
        }

        public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

        public void Flag(bool? value) => Byte(value switch { null => 2, true => 1, false => 0 });

        public void Int(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), value);
            _buffer.Advance(4);
        }

        public void Long(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value);
            _buffer.Advance(8);
        }

        public void Milestone(Milestone? m)
        {
            Bool(m is not null);
            if (m is not { } v) return;
            Int(v.Day);
            Int(v.SessionsReceived);
            Int(v.Total);
        }

        public void Durability(DurabilityTime? d)
        {
            Bool(d is not null);
            if (d is not { } v) return;
            Bool(v.Event);
            Int(v.DaysFromOnset);
            Int(v.Day);
            Int(v.SessionsReceived);
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }

    /// What decoding one report's rows shares between them: slices of large arrays for the PHQ-9 series, and one
    /// instance per clinic id and per attribute combination. A report over 300,000 courses would otherwise allocate
    /// millions of small objects that all survive until it is done, and collecting them cost more than decoding.
    /// One context per report and thread.
    public sealed class DecodeContext
    {
        private const int ChunkSize = 1 << 16;
        private Phq9Assessment[] _chunk = [];
        private int _used;
        private readonly Dictionary<CourseAttributes, CourseAttributes> _attributes = [];
        private readonly Dictionary<string, string> _clinics = new(StringComparer.Ordinal);

        internal ArraySegment<Phq9Assessment> Take(int count)
        {
            if (count == 0) return ArraySegment<Phq9Assessment>.Empty;
            if (_chunk.Length - _used < count)
            {
                _chunk = new Phq9Assessment[Math.Max(ChunkSize, count)];
                _used = 0;
            }
            var slice = new ArraySegment<Phq9Assessment>(_chunk, _used, count);
            _used += count;
            return slice;
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

    private ref struct Reader(ReadOnlySpan<byte> row)
    {
        private readonly ReadOnlySpan<byte> _row = row;
        private int _at;


        public byte Byte() => _row[_at++];

        public bool Bool() => Byte() != 0;

        public bool? Flag() => Byte() switch { 2 => null, 1 => true, _ => false };

        public int Int()
        {
            var v = BinaryPrimitives.ReadInt32LittleEndian(_row[_at..]);
            _at += 4;
            return v;
        }

        public int? NullableInt() => Int() is var v && v == NullInt ? null : v;

        public long Long()
        {
            var v = BinaryPrimitives.ReadInt64LittleEndian(_row[_at..]);
            _at += 8;
            return v;
        }

        public Milestone? Milestone() => Bool() ? new Milestone(Int(), Int(), Int()) : null;

        public DurabilityTime? Durability() => Bool() ? new DurabilityTime(Bool(), Int(), Int(), Int()) : null;
    }
}
