using System.CommandLine;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Exports;
using Spectre.Console;

namespace Outcomes.Cli.Exports;

/// `outcomes export` (download and unpack a research export) and `outcomes report --from-export` (its report offline).
public static class ExportCommands
{
    public static Command Export()
    {
        var url = new Option<string>("--url") { Description = "The service's base URL", Required = true };
        var token = new Option<string>("--token") { Description = "A researcher's access token", Required = true };
        var report = new Option<string?>("--report") { Description = "A named report whose cohort to export" };
        var filter = new Option<FileInfo?>("--filter") { Description = "A JSON file with an ad-hoc cohort filter" };
        var format = new Option<string>("--format") { Description = "csv or parquet", DefaultValueFactory = _ => "csv" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to unpack the export into", Required = true };
        var manifest = new Option<FileInfo?>("--manifest") { Description = "manifest.json of an earlier export: reproduce it" };
        var command = new Command("export", "Download a de-identified research export and unpack it") { url, token, report, filter, format, output, manifest };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var body = new JsonObject();
            if (parse.GetValue(manifest) is { } m) body["manifest"] = JsonNode.Parse(await File.ReadAllTextAsync(m.FullName, cancellationToken));
            else
            {
                if (parse.GetValue(report) is { } r) body["report"] = r;
                if (parse.GetValue(filter) is { } f) body["filter"] = JsonNode.Parse(await File.ReadAllTextAsync(f.FullName, cancellationToken));
                body["format"] = parse.GetValue(format);
            }
            var folder = parse.GetValue(output)!;
            return await Download(new Uri(parse.GetValue(url)!), parse.GetValue(token)!, body.ToJsonString(), folder.FullName,
                parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    internal static async Task<int> Download(Uri baseUrl, string token, string body, string folder, TextWriter output, TextWriter error,
        CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = baseUrl, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/exports") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            error.WriteLine(ServiceRefusal.Describe(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken), token,
                "an export needs the researcher or admin role, and clinics within the token's"));
            return 1;
        }
        var zipPath = Path.Combine(Path.GetTempPath(), $"outcomes-export-{Guid.NewGuid():N}.zip");
        try
        {
            var total = response.Content.Headers.ContentLength;
            await using (var source = await response.Content.ReadAsStreamAsync(cancellationToken))
            await using (var target = File.Create(zipPath))
            {
                await AnsiConsole.Progress().StartAsync(async progress =>
                {
                    var task = progress.AddTask("export (bytes)", maxValue: total ?? 1);
                    var buffer = new byte[1 << 16];
                    int n;
                    while ((n = await source.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        await target.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                        task.Increment(n);
                    }
                    task.Value = task.MaxValue;
                });
            }
            Directory.CreateDirectory(folder);
            ZipFile.ExtractToDirectory(zipPath, folder, overwriteFiles: true);
            var manifest = ExportManifest.FromJson(await File.ReadAllTextAsync(Path.Combine(folder, "manifest.json"), cancellationToken));
            output.WriteLine($"export: {new FileInfo(zipPath).Length} bytes, position {manifest.EventStorePosition}, " +
                $"{string.Join(", ", manifest.Files.Where(f => f.Rows is not null).Select(f => $"{f.Name} {f.Rows} rows"))}, " +
                $"release {manifest.Release?.Id}: {manifest.Deidentification.Export.GeneralisedSubjects} of the subjects generalised, " +
                $"{manifest.Deidentification.Export.SuppressedInScope} of your clinics' subjects suppressed -> {folder}");
            return 0;
        }
        finally
        {
            File.Delete(zipPath);
        }
    }

    public static Command Report()
    {
        var from = new Option<DirectoryInfo>("--from-export") { Description = "An unpacked export (CSV or Parquet)", Required = true };
        var name = new Option<string?>("--name") { Description = "The report the export was made for (the default)" };
        var definition = new Option<FileInfo?>("--definition") { Description = "A report definition JSON file to compute instead" };
        var command = new Command("report", "Recompute a cohort report offline from an export; prints the API's JSON") { from, name, definition };
        command.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            try
            {
                ReportDefinition? chosen = null;
                if (parse.GetValue(definition) is { } file) chosen = ReportDefinition.FromJson(File.ReadAllText(file.FullName));
                var published = OfflineReport.FromDirectory(parse.GetValue(from)!.FullName, chosen, error);
                if (parse.GetValue(name) is { } n && n != published.Definition.Name)
                    throw new ExportReadException($"the export was made for report '{published.Definition.Name}', not '{n}': pass --definition FILE");
                parse.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(published, OfflineReport.ApiJson));
                return 0;
            }
            catch (Exception e) when (e is ExportReadException or JsonException or IOException)
            {
                error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
