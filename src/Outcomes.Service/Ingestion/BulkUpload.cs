using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Outcomes.Service.Security;

namespace Outcomes.Service.Ingestion;

/// What a bulk upload did: every line is stored, a duplicate of a stored fact, or rejected.
/// <param name="Lines">Lines read, blank lines not counted.</param>
/// <param name="Rejections">The first rejections, in line order (all of them are in the rejection log).</param>
/// <param name="RejectedByRule">Every refused line counted by "field: rule" (values from the lines taken out).</param>
public sealed record BulkUploadSummary(Guid UploadId, long Lines, long Stored, long Duplicates, long Rejected,
    IReadOnlyList<BulkLineRejection> Rejections, double ElapsedSeconds, IReadOnlyDictionary<string, long>? RejectedByRule = null);

/// A refused line: where it is, and the field and rule it breaks.
public sealed record BulkLineRejection(long Line, string MessageType, Guid? EventId, string Field, string Rule);

/// Reads an NDJSON upload line by line, validates each line as ClinicEventReader validates an AMQP
/// message, and appends the valid facts through the same CourseBatchWriter in large batches. Memory
/// stays bounded whatever the upload's size: one line, one batch being filled and a few handed to the writer.
public sealed class BulkUpload(CourseBatchWriter writer, RejectionLog rejectionLog, TimeProvider clock,
    IOptions<IngestionOptions> options, ILogger<BulkUpload> logger)
{
    /// Rejections listed in the response; the rejection log has them all.
    public const int ListedRejections = 100;

    /// Batches handed to a writer and not yet counted, at most (memory: each is a batch of facts).
    private const int MaxHandedOver = 4;

    private sealed class Chunk
    {
        public List<PendingFact> Facts { get; } = [];
        public List<long> FactLines { get; } = [];
        public List<(Rejection Rejection, RejectionSource Source)> Rejections { get; } = [];
    }

    /// Reads the body to its end. A client that sends a large file in parts passes one upload id for all of them and
    /// each part's first line number in the file, so that rejections name the file's lines under one upload.
    public Task<BulkUploadSummary> Run(PipeReader body, ClinicScope scope, string uploader, Guid? partOf, long firstLine,
        CancellationToken cancellationToken) =>
        Run(body, scope, uploader, partOf, firstLine, async facts => Task.FromResult(await writer.Append(facts).ConfigureAwait(false)),
            options.Value.BulkBatch, false, cancellationToken);

    /// Hands a batch of valid facts to a writer. Completes when the writer takes the next batch; its result completes
    /// with the batch's outcomes (the normal path: both at once; the backfill: the outcomes at the batch's commit, after
    /// the next batch has been handed over).
    public delegate Task<Task<AppendOutcome[]>> SubmitBatch(IReadOnlyList<PendingFact> facts);

    /// The same reading, validation and accounting with another way of appending the valid facts (the backfill's),
    /// handed batches of about <paramref name="batchSize"/> facts in file order; with <paramref name="keepCoursesTogether"/>,
    /// a batch ends where the file moves to another course (a file written course by course gives no course two batches).
    public async Task<BulkUploadSummary> Run(PipeReader body, ClinicScope scope, string uploader, Guid? partOf, long firstLine,
        SubmitBatch submit, int batchSize, bool keepCoursesTogether, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(firstLine, 1);
        ArgumentNullException.ThrowIfNull(submit);
        var uploadId = partOf ?? Guid.NewGuid();
        var started = clock.GetTimestamp();
        var listed = new List<BulkLineRejection>();
        var byRule = new Dictionary<string, long>(StringComparer.Ordinal);
        var gate = new Lock();
        var allowance = rejectionLog.UploadAllowance;
        long lines = 0, rejected = 0, stored = 0, duplicates = 0;

        // Called by the reading side and, for reused event ids, by the writing side.
        void Count(long line, Rejection rejection)
        {
            lock (gate)
            {
                rejected++;
                var rule = $"{RejectionTallyTable.FieldOf(rejection.Field, rejection.Rule)}: {RejectionTallyTable.RuleOf(rejection.Rule)}";
                // Bounded like the tallies: the shapes of mistakes, not the lines' values.
                if (byRule.Count < 1000 || byRule.ContainsKey(rule))
                    byRule[rule] = byRule.GetValueOrDefault(rule) + 1;
                if (listed.Count < ListedRejections)
                    listed.Add(new BulkLineRejection(line, rejection.MessageType, rejection.EventId, rejection.Field, rejection.Rule));
            }
        }

        async Task Record(List<(Rejection Rejection, RejectionSource Source)> refused)
        {
            var keep = Math.Min(allowance, refused.Count);
            allowance -= keep;
            await rejectionLog.RecordMany(refused, keep, CancellationToken.None).ConfigureAwait(false);
        }

        async Task Account(Chunk chunk, AppendOutcome[] outcomes)
        {
            stored += outcomes.Count(o => o == AppendOutcome.Stored);
            duplicates += outcomes.Count(o => o == AppendOutcome.Duplicate);
            var reused = new List<(Rejection Rejection, RejectionSource Source)>();
            for (var i = 0; i < outcomes.Length; i++)
            {
                if (ClinicEventReader.Refusal(outcomes[i], chunk.Facts[i].Fact) is not { } rejection) continue;
                Count(chunk.FactLines[i], rejection);
                reused.Add((rejection, RejectionSource.BulkLine(uploadId, chunk.FactLines[i], uploader)));
            }
            await Record(reused).ConfigureAwait(false);
        }

        // Parsing the next batch overlaps writing the previous one; capacity 1 keeps memory bounded.
        var chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        var writing = Task.Run(async () =>
        {
            try
            {
                // Batches handed over whose outcomes are still to be counted, oldest first: counted as their writes
                // finish, so that the writer has the next batch meanwhile (the writer bounds how many it takes at once).
                var handedOver = new Queue<(Chunk Chunk, Task<AppendOutcome[]> Outcomes)>();
                async Task CountFinished(bool all)
                {
                    while (handedOver.TryPeek(out var oldest) && (all || oldest.Outcomes.IsCompleted || handedOver.Count > MaxHandedOver))
                        await Account(handedOver.Dequeue().Chunk, await oldest.Outcomes.ConfigureAwait(false)).ConfigureAwait(false);
                }
                await foreach (var chunk in chunks.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    // Rejections first: a failed append then still leaves every refused line recorded.
                    await Record(chunk.Rejections).ConfigureAwait(false);
                    if (chunk.Facts.Count == 0) continue;
                    handedOver.Enqueue((chunk, await submit(chunk.Facts).ConfigureAwait(false)));
                    await CountFinished(all: false).ConfigureAwait(false);
                }
                await CountFinished(all: true).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Stops the reading side too: its next hand-over fails instead of waiting for ever.
                chunks.Writer.TryComplete(ex);
                throw;
            }
        }, CancellationToken.None);

        var current = new Chunk();
        try
        {
            // A line without a valid clinic is kept under the uploader's clinic when its token names one, so that the
            // uploader lists it like any other; otherwise under the uploader alone (listed with ?uploadId=).
            var ownClinic = !scope.AllClinics && scope.Clinics.Count == 1 ? scope.Clinics.First() : null;

            void Reject(long line, Rejection rejection)
            {
                if (rejection.ClinicId is null && ownClinic is not null)
                    rejection = rejection with { ClinicId = ownClinic };
                Count(line, rejection);
                current.Rejections.Add((rejection, RejectionSource.BulkLine(uploadId, line, uploader)));
            }

            void Take(long line, ReadOnlySpan<byte> text)
            {
                lines++;
                // One bad line is that line's rejection, never the upload's end.
                if (!System.Text.Unicode.Utf8.IsValid(text))
                {
                    Reject(line, new Rejection("", null, null, "line", ClinicEventReader.BodyNotUtf8));
                    return;
                }
                var parsed = BulkLine.Parse(text);
                if (parsed.Violation is { } broken)
                {
                    Reject(line, new Rejection("", null, null, broken.Field, broken.Rule));
                    return;
                }
                var (fact, rejection) = ClinicEventReader.Read(parsed.RoutingKey!, text.Slice(parsed.BodyStart, parsed.BodyLength), clock.GetUtcNow());
                if (rejection is not null)
                    Reject(line, rejection);
                else if (!scope.Includes(fact!.Course.ClinicId))
                    // Kept under the uploader's clinic (or none: admins only), never the clinic the line names: that
                    // clinic's users must not see another clinic's upload.
                    Reject(line, new Rejection(fact.MessageType, fact.EventId, scope.Clinics.Count == 1 ? scope.Clinics.First() : null,
                        "clinicId", "is not among the clinics of the uploader's token"));
                else if (ClinicEventReader.CheckMetadata(fact, "correlationId", parsed.CorrelationId, "causationId", null) is { } metadataRule)
                    Reject(line, metadataRule);
                else
                {
                    current.Facts.Add(new PendingFact(fact, new FactMetadata(parsed.CorrelationId, null, RejectionSource.Bulk)));
                    current.FactLines.Add(line);
                }
            }

            async ValueTask Flush()
            {
                await chunks.Writer.WriteAsync(current, cancellationToken).ConfigureAwait(false);
                current = new Chunk();
            }

            // A full batch whose last fact starts another course: that fact opens the next batch.
            async ValueTask FlushBeforeNewCourse()
            {
                var full = current;
                var (fact, line) = (full.Facts[^1], full.FactLines[^1]);
                full.Facts.RemoveAt(full.Facts.Count - 1);
                full.FactLines.RemoveAt(full.FactLines.Count - 1);
                await chunks.Writer.WriteAsync(full, cancellationToken).ConfigureAwait(false);
                current = new Chunk();
                current.Facts.Add(fact);
                current.FactLines.Add(line);
            }

            bool NewCourseStarted() =>
                current.Facts.Count >= 2 && current.Facts[^1].Fact.Course != current.Facts[^2].Fact.Course;

            var lineNumber = firstLine - 1;
            var skippingLongLine = false;
            while (true)
            {
                var read = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = read.Buffer;
                while (TryTakeLine(ref buffer, out var line))
                {
                    lineNumber++;
                    if (skippingLongLine)
                    {
                        // The rest of an over-long line: it was rejected when it passed the limit.
                        skippingLongLine = false;
                        continue;
                    }
                    if (line.Length > BulkLine.MaxBytes)
                    {
                        lines++;
                        Reject(lineNumber, new Rejection("", null, null, "line", $"is longer than {BulkLine.MaxBytes} bytes"));
                    }
                    else if (!IsBlank(line))
                    {
                        TakeLine(lineNumber, line, Take);
                    }
                    if (keepCoursesTogether && current.Facts.Count > batchSize && NewCourseStarted())
                        await FlushBeforeNewCourse().ConfigureAwait(false);
                    else if (current.Facts.Count >= (keepCoursesTogether ? 2 * batchSize : batchSize) || current.Rejections.Count >= batchSize)
                        await Flush().ConfigureAwait(false);
                }
                if (!skippingLongLine && buffer.Length > BulkLine.MaxBytes)
                {
                    // A line without its end in sight: refuse it now rather than buffer it whole.
                    lines++;
                    Reject(lineNumber + 1, new Rejection("", null, null, "line", $"is longer than {BulkLine.MaxBytes} bytes"));
                    skippingLongLine = true;
                }
                if (skippingLongLine)
                    buffer = buffer.Slice(buffer.End);
                if (read.IsCompleted)
                {
                    if (!skippingLongLine && !buffer.IsEmpty && !IsBlank(buffer))
                        TakeLine(++lineNumber, buffer, Take);
                    body.AdvanceTo(read.Buffer.End);
                    break;
                }
                body.AdvanceTo(buffer.Start, buffer.End);
            }
            if (current.Facts.Count > 0 || current.Rejections.Count > 0)
                await Flush().ConfigureAwait(false);
        }
        finally
        {
            chunks.Writer.TryComplete();
            await writing.ConfigureAwait(false);
        }

        var summary = new BulkUploadSummary(uploadId, lines, stored, duplicates, rejected, listed.OrderBy(r => r.Line).ToList(),
            clock.GetElapsedTime(started).TotalSeconds, byRule);
        logger.LogInformation("Bulk upload {UploadId}: {Lines} lines, {Stored} stored, {Duplicates} duplicates, {Rejected} rejected in {Seconds:F1} s",
            uploadId, lines, stored, duplicates, rejected, summary.ElapsedSeconds);
        return summary;
    }

    private delegate void LineAction(long line, ReadOnlySpan<byte> text);

    private static void TakeLine(long lineNumber, ReadOnlySequence<byte> line, LineAction take)
    {
        if (line.IsSingleSegment)
        {
            take(lineNumber, Trimmed(line.FirstSpan));
            return;
        }
        var copy = ArrayPool<byte>.Shared.Rent((int)line.Length);
        try
        {
            line.CopyTo(copy);
            take(lineNumber, Trimmed(copy.AsSpan(0, (int)line.Length)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    // Lines may end in CRLF.
    private static ReadOnlySpan<byte> Trimmed(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    private static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        if (buffer.PositionOf((byte)'\n') is not { } end)
        {
            line = default;
            return false;
        }
        line = buffer.Slice(0, end);
        buffer = buffer.Slice(buffer.GetPosition(1, end));
        return true;
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
            foreach (var b in segment.Span)
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
                    return false;
        return true;
    }
}
