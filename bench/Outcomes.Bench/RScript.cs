using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace Outcomes.Bench;

/// <summary>
/// Runs an R script with Rscript and reads what it prints as <c>key,value</c> lines (other lines are ignored;
/// a key may repeat, e.g. one <c>elapsed_ms</c> per repetition).
/// </summary>
internal sealed class RScript
{
    private readonly ILookup<string, string> _values;

    private RScript(IEnumerable<KeyValuePair<string, string>> values) =>
        _values = values.ToLookup(v => v.Key, v => v.Value, StringComparer.Ordinal);

    public static async Task<RScript> RunAsync(string script, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("Rscript")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--vanilla");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Rscript did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("Rscript was not found on PATH: the statistics benchmark compares with R (packages survival, lme4).", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
                throw new InvalidOperationException(
                    $"Rscript {Path.GetFileName(script)} exited with {process.ExitCode}:{Environment.NewLine}{await stderr}");
            var pairs = (await stdout)
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(line => line.Split(',', 2))
                .Where(parts => parts.Length == 2)
                .Select(parts => KeyValuePair.Create(parts[0], parts[1]));
            return new RScript(pairs);
        }
    }

    public string Text(string key) =>
        _values[key].FirstOrDefault() ?? throw new InvalidOperationException($"R printed no value for '{key}'.");

    public double Number(string key) => ParseNumber(key, Text(key));

    public IReadOnlyList<double> Numbers(string key) => _values[key].Select(v => ParseNumber(key, v)).ToArray();

    private static double ParseNumber(string key, string text) =>
        text == "NA" ? double.NaN
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value
        : throw new InvalidOperationException($"R printed '{text}' for '{key}', which is not a number.");
}
