namespace Outcomes.Domain.Exports;

/// Where a dataset's rows go, cell by cell in column order: a CSV file, a Parquet row group, or the export's spool.
/// Null is an empty cell.
public interface IRowWriter
{
    void Text(string? value);
    void Integer(int? value);
    void Boolean(bool? value);
    void Decimal(decimal? value);
    void EndRow();
}
