using System.CommandLine;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Outcomes.Cli.Options;
using Spectre.Console;

namespace Outcomes.Cli.Loading;

/// <summary>What the service answered to a bulk upload (its BulkUploadSummary).</summary>
public sealed record LoadSummary(Guid UploadId, long Lines, long Stored, long Duplicates, long Rejected,
    IReadOnlyList<LoadRejection> Rejections, double ElapsedSeconds);

/// <summary>One refused line of a bulk upload.</summary>
public sealed record LoadRejection(long Line, string MessageType, Guid? EventId, string Field, string Rule);

/// <summary>How to send a file: lines per request, the file's line to start at (to resume), and the service's path that takes it
/// (the bulk upload, or the backfill).</summary>
public sealed record LoadPlan(int LinesPerPart = LoadPlan.DefaultLinesPerPart, long FromLine = 1, string Path = LoadCommand.UploadPath)
{
    /// About ten seconds of work for the service: no request outlasts a proxy's timeout.
    public const int DefaultLinesPerPart = 100_000;
}

/// <summary>
/// <c>outcomes load FILE</c>: streams an NDJSON file (as <c>outcomes demo --out</c> writes it) to the
/// service's bulk upload, <c>POST /api/v1/ingestion/batches</c>, and prints what was stored.
/// </summary>
public static class LoadCommand
{
    public const string UrlVariable = "OUTCOMES_URL";
    public const string TokenVariable = "OUTCOMES_TOKEN";
    public const string UploadPath = "api/v1/ingestion/batches";
    private const string Ndjson = "application/x-ndjson";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create() =>
        Create("load", "Bulk-load an NDJSON file of contract v1 messages through the service's bulk upload", UploadPath,
            LoadPlan.DefaultLinesPerPart, "integration or admin");

    /// <summary>A command that sends an NDJSON file in parts to <paramref name="uploadPath"/> (the bulk upload's request and answer).</summary>
    public static Command Create(string name, string description, string uploadPath, int defaultLinesPerPart, string roles)
    {
        var file = new Argument<FileInfo>("file") { Description = "NDJSON file: one {\"routingKey\":...,\"body\":{...}} per line" };
        var url = UriOption.Create("--url",
            $"Base URL of the Outcomes service, e.g. http://127.0.0.1:5080 (default: the {UrlVariable} environment variable)",
            "an http:// or https:// URL", HttpSchemes);
        var token = new Option<string?>("--token")
        {
            Description = $"Bearer token with role {roles}, e.g. from `outcomes token` (default: the {TokenVariable} environment variable)",
        };
        var allowRejections = new Option<bool>("--allow-rejections") { Description = "Exit 0 even if some lines were rejected" };
        var linesPerPart = new Option<int>("--lines-per-request")
        {
            Description = "Lines sent in one request; each answers in seconds, so no proxy times out",
            DefaultValueFactory = _ => defaultLinesPerPart,
        };
        linesPerPart.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--lines-per-request must be 1 or more");
        });
        var fromLine = new Option<long>("--from-line")
        {
            Description = "Start at this line of the file (to resume after a stop: lines already stored are skipped anyway)",
            DefaultValueFactory = _ => 1,
        };
        fromLine.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() < 1) r.AddError("--from-line must be 1 or more");
        });
        var command = new Command(name, description)
        {
            file, url, token, allowRejections, linesPerPart, fromLine,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var path = parse.GetValue(file)!;
            var baseUrl = parse.GetValue(url) ?? HttpUri(Environment.GetEnvironmentVariable(UrlVariable));
            var bearer = parse.GetValue(token) ?? Environment.GetEnvironmentVariable(TokenVariable);
            var problems = new List<string>();
            if (!path.Exists) problems.Add($"No such file: {path.FullName}");
            if (baseUrl is null)
                problems.Add($"--url must be the service's http:// or https:// base URL (or set {UrlVariable})");
            if (string.IsNullOrWhiteSpace(bearer))
                problems.Add($"--token is required (or set {TokenVariable}); `outcomes token --role integration --clinics ...` issues one");
            if (problems.Count > 0)
            {
                foreach (var problem in problems) error.WriteLine(problem);
                return 1;
            }

            var plan = new LoadPlan(parse.GetValue(linesPerPart), parse.GetValue(fromLine), uploadPath);
            var terminal = !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out);
            var (summary, failure) = terminal
                ? await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(),
                        new RemainingTimeColumn())
                    .StartAsync(async context =>
                    {
                        var task = context.AddTask("sent", maxValue: path.Length);
                        return await Upload(path, baseUrl!, bearer!, plan, sent => task.Value = sent, cancellationToken);
                    })
                : await Upload(path, baseUrl!, bearer!, plan, EveryTenth(path.Length, output), cancellationToken);
            if (failure is not null) error.WriteLine(failure);
            if (summary is null) return 1;

            output.WriteLine($"{summary.Lines} lines: stored {summary.Stored}, duplicates {summary.Duplicates}, rejected {summary.Rejected} " +
                $"in {summary.ElapsedSeconds:F1} s ({(summary.ElapsedSeconds > 0 ? summary.Lines / summary.ElapsedSeconds : 0):F0} lines/s); upload {summary.UploadId}");
            foreach (var r in summary.Rejections)
                error.WriteLine($"line {r.Line}: {r.Field}: {r.Rule}" + (r.EventId is { } id ? $" (event {id})" : ""));
            if (summary.Rejected > summary.Rejections.Count)
                error.WriteLine($"... and {summary.Rejected - summary.Rejections.Count} more: GET /api/v1/ingestion/rejections lists them all");
            if (failure is not null) return 1;
            return summary.Rejected > 0 && !parse.GetValue(allowRejections) ? 1 : 0;
        });
        return command;
    }

    private static async Task<(LoadSummary? Summary, string? Failure)> Upload(FileInfo file, Uri baseUrl, string token, LoadPlan plan,
        Action<long> progress, CancellationToken cancellationToken)
    {
        // A part takes seconds; a slow service or network should not end it.
        using var client = new HttpClient { Timeout = Timeout.InfiniteTimeSpan, BaseAddress = WithSlash(baseUrl) };
        return await Upload(client, file, token, plan, progress, cancellationToken);
    }

    /// <summary>
    /// Sends the file from the plan's line on, in parts of whole lines, each streamed as a request body to
    /// the plan's path under the client's base address with one upload id and its first line number, so
    /// the service's rejections name the file's lines. Returns the parts' summaries added up; when a part fails, the
    /// summary of the parts before it (null if none) and the failure, which says where to resume.
    /// </summary>
    public static async Task<(LoadSummary? Summary, string? Failure)> Upload(HttpClient client, FileInfo file, string token, LoadPlan plan,
        Action<long> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(plan);
        var uploadId = Guid.NewGuid();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        LoadSummary? total = null;
        await using var reading = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var parts = new FileParts(reading);
        if (plan.FromLine > 1 && !await parts.SkipTo(plan.FromLine, cancellationToken))
            return (null, $"The file has fewer than {plan.FromLine} lines: nothing to send from --from-line {plan.FromLine}");
        progress(parts.Position);
        while (await parts.Next(plan.LinesPerPart, cancellationToken) is { } part)
        {
            LoadSummary? summary;
            string? failure;
            try
            {
                (summary, failure) = await SendPart(client, file, token, uploadId, part, plan.Path, progress, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                (summary, failure) = (null, $"Cannot reach the service at {client.BaseAddress}: {e.Message}");
            }
            if (summary is null)
                return (total, $"{failure}{Environment.NewLine}Stopped at line {part.FirstLine}; every line before it was sent and answered. " +
                    $"Resume with --from-line {part.FirstLine} (facts already stored are skipped as duplicates).");
            total = Add(total, summary, clock.Elapsed.TotalSeconds);
        }
        return (total ?? new LoadSummary(uploadId, 0, 0, 0, 0, [], clock.Elapsed.TotalSeconds), null);
    }

    private static async Task<(LoadSummary? Summary, string? Failure)> SendPart(HttpClient client, FileInfo file, string token, Guid uploadId,
        FilePart part, string path, Action<long> progress, CancellationToken cancellationToken)
    {
        var body = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        body.Seek(part.Start, SeekOrigin.Begin);
        await using var stream = new ProgressStream(new RangeStream(body, part.Length), read => progress(part.Start + read));
        using var content = new StreamContent(stream, 1 << 16);
        content.Headers.ContentType = new MediaTypeHeaderValue(Ndjson);
        content.Headers.ContentLength = part.Length;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{path}?uploadId={uploadId}&firstLine={part.FirstLine}") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var detail = await response.Content.ReadAsStringAsync(cancellationToken);
            return (null, $"The service answered {(int)response.StatusCode} {response.ReasonPhrase}: {detail}");
        }
        return (await response.Content.ReadFromJsonAsync<LoadSummary>(Json, cancellationToken), null);
    }

    /// <summary>The rejections listed stay the first ones of the file, as many as one answer lists.</summary>
    private const int ListedRejections = 100;

    private static LoadSummary Add(LoadSummary? total, LoadSummary part, double elapsedSeconds) => total is null
        ? part with { ElapsedSeconds = elapsedSeconds }
        : new LoadSummary(total.UploadId, total.Lines + part.Lines, total.Stored + part.Stored, total.Duplicates + part.Duplicates,
            total.Rejected + part.Rejected, [.. total.Rejections.Concat(part.Rejections).Take(ListedRejections)], elapsedSeconds);

    private static readonly string[] HttpSchemes = ["http", "https"];

    private static Uri? HttpUri(string? text) => UriOption.Parse(text, HttpSchemes);

    private static Uri WithSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

    // Without a terminal, a line per tenth of the file tells a log how far the upload has got.
    private static Action<long> EveryTenth(long total, TextWriter output)
    {
        var next = 1;
        return sent =>
        {
            if (total == 0 || sent * 10 < next * total) return;
            output.WriteLine($"sent {sent * 100 / total}% ({sent} of {total} bytes)");
            next = (int)(sent * 10 / total) + 1;
        };
    }

    /// <summary>Reports the bytes read so far as the request body goes out.</summary>
    private sealed class ProgressStream(Stream inner, Action<long> progress) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            progress(_read);
            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
