using MiniMe.Memory.Import;

namespace MiniMe.Tests.Memory;

public class ParagraphChunkerTests
{
    private static string Paragraph(int index, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(w => $"p{index}w{w}"));

    [Fact]
    public void Short_text_is_one_chunk_covering_the_trimmed_paragraphs()
    {
        var text = "\n\nFirst paragraph.\n\nSecond one.\n\n";
        var chunks = new ParagraphChunker(1200, 200).Chunk(text, markdown: false);
        var chunk = Assert.Single(chunks);
        Assert.Equal("First paragraph.\n\nSecond one.", text[chunk.Start..chunk.End]);
    }

    [Fact]
    public void Chunks_break_on_paragraph_boundaries_and_never_exceed_the_target()
    {
        var text = string.Join("\n\n", Enumerable.Range(0, 40).Select(i => Paragraph(i, 12)));
        var chunker = new ParagraphChunker(300, 0);
        var chunks = chunker.Chunk(text, markdown: false);
        Assert.True(chunks.Count > 5);
        foreach (var chunk in chunks)
        {
            Assert.True(chunk.End - chunk.Start <= 300, $"chunk of {chunk.End - chunk.Start} chars");
            // Starts at a paragraph start and ends at a paragraph end.
            Assert.True(chunk.Start == 0 || text[(chunk.Start - 2)..chunk.Start] == "\n\n");
            Assert.True(chunk.End == text.Length || text[chunk.End..(chunk.End + 2)] == "\n\n");
        }
    }

    [Fact]
    public void Chunks_cover_the_whole_text_in_order()
    {
        var text = string.Join("\n\n", Enumerable.Range(0, 30).Select(i => Paragraph(i, 20)));
        var chunks = new ParagraphChunker(400, 100).Chunk(text, markdown: false);
        Assert.Equal(0, chunks[0].Start);
        Assert.Equal(text.Length, chunks[^1].End);
        for (var i = 1; i < chunks.Count; i++)
        {
            Assert.True(chunks[i].Start > chunks[i - 1].Start, "chunks advance");
            Assert.True(chunks[i].Start <= chunks[i - 1].End, "no gap between chunks");
        }
    }

    [Fact]
    public void Consecutive_chunks_overlap_by_at_most_the_overlap_size()
    {
        var text = string.Join("\n\n", Enumerable.Range(0, 30).Select(i => Paragraph(i, 8)));
        var chunks = new ParagraphChunker(300, 120).Chunk(text, markdown: false);
        var overlaps = 0;
        for (var i = 1; i < chunks.Count; i++)
        {
            var overlap = chunks[i - 1].End - chunks[i].Start;
            Assert.InRange(overlap, 0, 120);
            if (overlap > 0) overlaps++;
        }
        Assert.True(overlaps > 0, "the tail of a chunk is repeated at the start of the next");
    }

    [Fact]
    public void Oversized_paragraph_is_split_on_word_boundaries()
    {
        var text = Paragraph(0, 400); // one paragraph, ~2800 chars, no blank lines
        var chunks = new ParagraphChunker(500, 50).Chunk(text, markdown: false);
        Assert.True(chunks.Count >= 6);
        foreach (var chunk in chunks)
        {
            Assert.True(chunk.End - chunk.Start <= 500);
            Assert.False(char.IsWhiteSpace(text[chunk.Start]));
            Assert.True(chunk.End == text.Length || char.IsWhiteSpace(text[chunk.End]), "never cuts inside a word");
        }
    }

    [Fact]
    public void Markdown_chunks_know_their_section_heading()
    {
        var text = "# Intro\n\n" + Paragraph(1, 30) + "\n\n## Install\n\n" + Paragraph(2, 30) + "\n\n## Usage\n\n" + Paragraph(3, 30);
        var chunks = new ParagraphChunker(260, 0).Chunk(text, markdown: true);
        var usage = chunks.Single(c => text[c.Start..c.End].Contains("p3w0", StringComparison.Ordinal));
        Assert.Contains("Usage", usage.Heading, StringComparison.Ordinal);
        var intro = chunks.First(c => text[c.Start..c.End].Contains("p1w0", StringComparison.Ordinal));
        Assert.Contains("Intro", intro.Heading, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_and_blank_text_has_no_chunks()
    {
        var chunker = new ParagraphChunker(1200, 200);
        Assert.Empty(chunker.Chunk("", markdown: false));
        Assert.Empty(chunker.Chunk("  \n\n \t\n", markdown: true));
    }

    [Theory]
    [InlineData(10, 0)]
    [InlineData(500, 500)]
    [InlineData(500, -1)]
    public void Invalid_sizes_are_rejected(int target, int overlap) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParagraphChunker(target, overlap));
}
