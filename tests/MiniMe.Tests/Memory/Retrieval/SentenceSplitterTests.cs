using MiniMe.Memory.Retrieval;

namespace MiniMe.Tests.Memory.Retrieval;

public sealed class SentenceSplitterTests
{
    [Fact]
    public void Splits_prose_at_sentence_ends()
    {
        Assert.Equal(
            ["We adopted a dog!", "Is she loud?", "Yes, very."],
            SentenceSplitter.SplitText("We adopted a dog! Is she loud? Yes, very."));
    }

    [Fact]
    public void Does_not_split_after_abbreviations_initials_or_inside_numbers()
    {
        Assert.Equal(
            ["Dr. Okafor saw Pepper, e.g. Monday at 4.30 pm.", "A classic by Ursula K. Le Guin.", "Version 3.5 costs 1.50 euros."],
            SentenceSplitter.SplitText("Dr. Okafor saw Pepper, e.g. Monday at 4.30 pm. A classic by Ursula K. Le Guin. Version 3.5 costs 1.50 euros."));
    }

    [Fact]
    public void Joins_a_sentence_wrapped_over_lines()
    {
        var text = "The broker keeps the task\nand drops memory first. Then history.";
        Assert.Equal(["The broker keeps the task\nand drops memory first.", "Then history."], SentenceSplitter.SplitText(text));
    }

    [Fact]
    public void Headings_list_items_and_code_lines_are_sentences_of_their_own()
    {
        var text = "## Setup\nInstall it. Then run it.\n- first item\n- second item\n1. numbered\n```\nvar x = 1;\nvar y = 2\n```\nDone.";

        Assert.Equal(
            ["## Setup", "Install it.", "Then run it.", "- first item", "- second item", "1. numbered", "var x = 1;", "var y = 2", "Done."],
            SentenceSplitter.SplitText(text));
    }

    [Fact]
    public void Code_without_a_fence_splits_by_line()
    {
        var text = "public int Count()\n{\n    return _items.Count;\n}";
        Assert.Equal(["public int Count()", "{", "return _items.Count;", "}"], SentenceSplitter.SplitText(text));
    }

    [Fact]
    public void Blank_lines_end_a_sentence_without_punctuation()
    {
        Assert.Equal(["A title", "Body text here."], SentenceSplitter.SplitText("A title\n\nBody text here."));
    }

    [Fact]
    public void Spans_are_offsets_into_the_original_text()
    {
        var text = "  First one. Second one.\n\n- item";
        var spans = SentenceSplitter.Split(text);

        Assert.Equal(["First one.", "Second one.", "- item"], spans.Select(s => text[s.Start..s.End]));
        Assert.Equal(2, spans[0].Start);
    }

    [Fact]
    public void Empty_text_has_no_sentences() => Assert.Empty(SentenceSplitter.Split(" \n\n "));
}
