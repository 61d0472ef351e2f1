using System.Reflection;

namespace Outcomes.Bench.Ingestion;

/// Where the services are, where the service build is, and what machine this is.
public sealed record BenchEnvironment(string PostgresConnection, Uri RabbitMq, string ServiceDll, string LogDirectory,
    IReadOnlyDictionary<string, string> ServiceEnvironment)
{
    public static string Configuration =>
        typeof(BenchEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Configuration")?.Value ?? "Release";

    /// Reads the connection strings that `scripts/services.sh up` writes to .run/services.env.
    public static BenchEnvironment FromEnvironment(string? serviceDll, IReadOnlyDictionary<string, string> serviceEnvironment)
    {
        var postgres = Environment.GetEnvironmentVariable("ConnectionStrings__Outcomes");
        var rabbitMq = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq");
        if (string.IsNullOrEmpty(postgres) || string.IsNullOrEmpty(rabbitMq))
            throw new InvalidOperationException(
                "ConnectionStrings__Outcomes and ConnectionStrings__RabbitMq are not set: run `bash scripts/services.sh up` and `. .run/services.env` first");

        var root = ServiceProcess.RepositoryRoot();
        serviceDll ??= Path.Combine(root, "src", "Outcomes.Service", "bin", Configuration, "net10.0", "Outcomes.Service.dll");
        if (!File.Exists(serviceDll))
            throw new FileNotFoundException($"The service build is missing: {serviceDll} (build src/Outcomes.Service -c {Configuration})");
        return new BenchEnvironment(postgres, new Uri(rabbitMq), serviceDll, Path.Combine(root, ".run", "bench-ingest"), serviceEnvironment);
    }

    /// nproc, CPU model and memory, as the results table records them.
    public static string Machine()
    {
        var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
            ?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memory = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return $"{Environment.ProcessorCount} cores (nproc), {model}, {long.Parse(memory) / 1024 / 1024.0:0.0} GiB memory, " +
            $".NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
    }
}
