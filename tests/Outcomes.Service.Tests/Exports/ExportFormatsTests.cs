using Outcomes.Domain.Exports;
using Outcomes.Service.Exports;

namespace Outcomes.Service.Tests.Exports;

/// The registry of export formats is what the API validates against and what the archive writes with.
public class ExportFormatsTests
{
    [Fact]
    public void Registry_NamesCsvAndParquet_AndStatesTheRuleFromItsNames()
    {
        Assert.Equal(["csv", "parquet"], ExportFormats.All.Select(f => f.Name));
        Assert.Same(ExportFormats.Parquet, ExportFormats.Find("parquet"));
        Assert.Null(ExportFormats.Find("xlsx"));
        Assert.Null(ExportFormats.Find(null));
        Assert.Equal("must be csv or parquet", ExportFormats.Rule);
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("parquet")]
    public async Task EveryFormat_WritesADatasetThroughItsRegisteredWriter(string name)
    {
        var format = ExportFormats.Find(name)!;
        using var output = new MemoryStream();
        var dataset = ExportDatasets.Sessions;
        await using (var writer = await format.Open(output, dataset, new ExportsOptions(), CancellationToken.None))
        {
            writer.Text("subject-1");
            writer.Integer(0);
            writer.Integer(1);
            writer.Text("iv-ketamine");
            writer.Decimal(0.5m);
            writer.Text("mg/kg");
            writer.Text("intravenous");
            writer.EndRow();
            await writer.CompleteAsync(CancellationToken.None);
            Assert.Equal(1, writer.Rows);
        }
        Assert.True(output.ToArray().Length > 0);
    }
}
