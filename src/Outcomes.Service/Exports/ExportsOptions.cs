using System.Text;
using Microsoft.Extensions.Options;
using Outcomes.Domain.Exports;

namespace Outcomes.Service.Exports;

public sealed class ExportsOptions
{
    public const string Section = "Exports";

    /// The HMAC key of subject ids and clinic codes; its UTF-8 bytes are the key. Never in appsettings.json:
    /// environment Exports__SubjectKey. Changing it makes old manifests reproduce different ids.
    public string SubjectKey { get; set; } = "";

    /// Quasi-identifier classes smaller than this are generalised, then suppressed (domain.md: 11).
    public int K { get; set; } = 11;

    /// The order in which generalisation steps are tried when a release is anonymised (ReleaseParameters step names);
    /// unset: demographics first, years, then the modality last. A release keeps the order (and k) of its first export,
    /// so changing these affects the next release, never a table already released. Recorded in every manifest.
    public string[]? GeneralisationOrder { get; set; }

    /// Records whose prosecutor risk (1 / class size) exceeds this are counted as "at risk" in the manifest, as ARX does.
    public double RiskThreshold { get; set; } = 0.05;

    /// The anonymisation parameters a new release gets.
    public ReleaseParameters ReleaseParameters() => new(K, GeneralisationOrder ?? [.. Outcomes.Domain.Exports.ReleaseParameters.DefaultOrder]);

    /// Parquet row group size: bounds the rows held in memory at once (M tier, peak RSS of an export: 226 MB at
    /// 50,000, 275 MB at 100,000).
    public int ParquetRowGroupRows { get; set; } = 50_000;

    /// Where the spool and the finished archive wait; the system's temporary folder by default.
    public string? TempFolder { get; set; }

    public byte[] Key() => Encoding.UTF8.GetBytes(SubjectKey);
}

internal sealed class ExportsOptionsValidation(IHostEnvironment environment) : IValidateOptions<ExportsOptions>
{
    public ValidateOptionsResult Validate(string? name, ExportsOptions options)
    {
        var failures = new List<string>();
        var bytes = Encoding.UTF8.GetByteCount(options.SubjectKey ?? "");
        if (bytes < ExportKeys.MinimumKeyBytes)
            failures.Add($"Exports:SubjectKey must be a secret of at least {ExportKeys.MinimumKeyBytes} bytes (UTF-8), got {bytes}: " +
                "set it (environment Exports__SubjectKey), e.g. to the output of `openssl rand -base64 48`");
        else if (!environment.IsDevelopment() && options.SubjectKey!.StartsWith(Security.AuthOptions.DevelopmentKeyPrefix, StringComparison.Ordinal))
            failures.Add("Exports:SubjectKey is the published development key, refused outside the Development environment");
        if (options.K is < 2 or > 100)
            failures.Add($"Exports:K must be 2-100 (domain.md: 11), got {options.K}");
        foreach (var v in ReleaseParameters.Validate(options.GeneralisationOrder ?? [.. ReleaseParameters.DefaultOrder], "Exports:GeneralisationOrder"))
            failures.Add($"{v.Field} {v.Rule}");
        if (options.RiskThreshold is <= 0 or > 1)
            failures.Add($"Exports:RiskThreshold must be above 0 and at most 1, got {options.RiskThreshold}");
        if (options.ParquetRowGroupRows is < 1000 or > 1_000_000)
            failures.Add($"Exports:ParquetRowGroupRows must be 1000-1000000, got {options.ParquetRowGroupRows}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
