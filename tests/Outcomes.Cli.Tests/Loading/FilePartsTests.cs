using System.Text;
using Outcomes.Cli.Loading;

namespace Outcomes.Cli.Tests.Loading;

/// `outcomes load` sends a file in parts of whole lines and tells the service each part's first line number: the
/// parts must cover the file exactly, and their numbers must be the service's line numbers.
public sealed class FilePartsTests
{
    private static async Task<List<FilePart>> Parts(string text, int lines, long from = 1)
    {
        var parts = new FileParts(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        if (from > 1) Assert.True(await parts.SkipTo(from, CancellationToken.None));
        var list = new List<FilePart>();
        while (await parts.Next(lines, CancellationToken.None) is { } part) list.Add(part);
        return list;
    }

    [Fact]
    public async Task LastLineWithoutItsEnd_IsAPartToo()
    {
        Assert.Equal([new FilePart(0, 4, 1), new FilePart(4, 4, 3), new FilePart(8, 1, 5)], await Parts("a\nb\nc\nd\ne", 2));
    }

    [Fact]
    public async Task BlankLinesAndCrLf_CountAsTheServiceCountsThem()
    {
        Assert.Equal([new FilePart(0, 3, 1), new FilePart(3, 2, 2), new FilePart(5, 3, 3)], await Parts("x\r\n\r\ny\r\n", 1));
        Assert.Equal([new FilePart(0, 8, 1)], await Parts("x\r\n\r\ny\r\n", 100));
    }

    [Fact]
    public async Task FromALine_StartsThere_OrSaysTheFileIsShorter()
    {
        Assert.Equal([new FilePart(4, 2, 3)], await Parts("a\nb\nc\n", 10, from: 3));
        Assert.Equal([new FilePart(6, 1, 4)], await Parts("a\nb\nc\nd", 10, from: 4));
        var parts = new FileParts(new MemoryStream("a\nb\nc\n"u8.ToArray()));
        Assert.False(await parts.SkipTo(4, CancellationToken.None));
        Assert.Empty(await Parts("", 10));
    }

    [Fact]
    public async Task ManyBuffersOfLines_CoveredExactly()
    {
        var random = new Random(5);
        var text = new StringBuilder();
        for (var i = 0; i < 50_000; i++) text.Append(new string('x', random.Next(0, 40))).Append('\n');
        text.Append("last");
        var bytes = Encoding.UTF8.GetBytes(text.ToString());

        var parts = await Parts(text.ToString(), 7_777);

        Assert.Equal(7, parts.Count);
        Assert.Equal(0, parts[0].Start);
        for (var i = 1; i < parts.Count; i++)
        {
            Assert.Equal(parts[i - 1].Start + parts[i - 1].Length, parts[i].Start);
            Assert.Equal(1 + i * 7_777L, parts[i].FirstLine);
            Assert.Equal((byte)'\n', bytes[parts[i].Start - 1]);
        }
        Assert.Equal(bytes.Length, parts[^1].Start + parts[^1].Length);
        Assert.Equal(50_001 - 6 * 7_777, bytes.AsSpan((int)parts[^1].Start).Count((byte)'\n') + 1);
    }
}
