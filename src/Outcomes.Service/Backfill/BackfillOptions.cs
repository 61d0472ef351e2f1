using System.ComponentModel.DataAnnotations;

namespace Outcomes.Service.Backfill;

public sealed class BackfillOptions
{
    public const string Section = "Backfill";

    /// Most facts appended in one backfill transaction. Large batches amortise the transaction, the claim of the
    /// streams and the COPY start; memory holds one batch being written and one being read (about 60 MB at 50,000).
    [Range(1_000, 500_000)] public int Batch { get; set; } = 50_000;
}
