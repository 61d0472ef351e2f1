using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Outcomes.Bench.Ingestion;

/// The real Outcomes service as it runs in production: `dotnet Outcomes.Service.dll` in its own
/// process, configured by environment variables, its log written to a file.
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServiceProcess(Process process, StreamWriter log, Uri baseAddress)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
    }

    /// The service's runtime settings as deployed: the Dockerfile's `ENV DOTNET_...` lines, their one home.
    public static Lazy<IReadOnlyDictionary<string, string>> RuntimeSettings { get; } = new(() =>
    {
        var dockerfile = Path.Combine(RepositoryRoot(), "src", "Outcomes.Service", "Dockerfile");
        return File.ReadLines(dockerfile)
            .Select(line => System.Text.RegularExpressions.Regex.Match(line, @"^ENV (DOTNET_[A-Za-z0-9_]+)=(\S+)$"))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    });

    /// The checkout this benchmark was built in: the folder holding Outcomes.sln above its build output.
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Outcomes.sln"))) return dir.FullName;
        throw new InvalidOperationException("Run the benchmark from its build inside the repository (Outcomes.sln not found above it)");
    }

    public static string DescribeRuntimeSettings() => string.Join(", ",
        RuntimeSettings.Value.Select(kv => $"{kv.Key}={Environment.GetEnvironmentVariable(kv.Key) ?? kv.Value}"));

    public int Pid => _process.Id;
    public Uri BaseAddress { get; }

    public static async Task<ServiceProcess> StartAsync(string serviceDll, IReadOnlyDictionary<string, string> environment,
        string logFile, CancellationToken cancellationToken)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(serviceDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(serviceDll);
        start.Environment["ASPNETCORE_URLS"] = baseAddress.ToString();
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // The runtime settings of the Dockerfile, unless this process's environment sets them already.
        foreach (var (key, value) in RuntimeSettings.Value)
            if (Environment.GetEnvironmentVariable(key) is null) start.Environment[key] = value;
        // An empty value removes the variable: `--set DOTNET_TC_CallCountingDelayMs=` runs the runtime's default.
        foreach (var (key, value) in environment)
            if (value.Length == 0) start.Environment.Remove(key);
            else start.Environment[key] = value;

        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var log = new StreamWriter(logFile) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, line) => Write(log, line.Data);
        process.ErrorDataReceived += (_, line) => Write(log, line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, log, baseAddress);
        try
        {
            await service.WaitUntilReady(logFile, cancellationToken);
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilReady(string logFile, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The service exited with code {_process.ExitCode} before it was ready; see {logFile}");
            try
            {
                using var response = await http.GetAsync("/health/ready", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            await Task.Delay(200, cancellationToken);
        }
        throw new TimeoutException($"The service was not ready within 2 minutes; see {logFile}");
    }

    /// Stops it as an orchestrator would (SIGTERM, then a kill if it hangs).
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
                await term.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log)
        {
            if (log.BaseStream is { CanWrite: true }) log.WriteLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
