using MiniMe.Tests.Support;
using MiniMe.Memory.Evaluation;
using MiniMe.Tests.Memory.Vectors;

namespace MiniMe.Tests.Memory.Evaluation;

public sealed class BeirReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Reads_corpus_queries_and_judgements()
    {
        var dataset = BeirReader.Read(TinyBeir.Write(_dir.Combine("tiny")));
        Assert.Equal("tiny", dataset.Name);
        Assert.Equal(["d1", "d2", "d3", "d4"], dataset.Corpus.Select(d => d.Id));
        Assert.Equal("Cherry trees", dataset.Corpus[2].Title);
        Assert.Equal(["q1", "q2", "q3", "q4"], dataset.Queries.Select(q => q.Id));
        Assert.Equal(2, dataset.Qrels["q2"]["d4"]);
    }

    [Theory]
    [InlineData("corpus.jsonl", 2, "{\"_id\": \"d2\", \"title\": \"x\"", "corpus.jsonl:2: not valid JSON")]
    [InlineData("corpus.jsonl", 2, "{\"title\": \"x\", \"text\": \"y\"}", "corpus.jsonl:2: missing or empty \"_id\"")]
    [InlineData("corpus.jsonl", 3, "{\"_id\": \"d1\", \"text\": \"again\"}", "corpus.jsonl:3: duplicate _id \"d1\"")]
    [InlineData("corpus.jsonl", 1, "[1, 2]", "corpus.jsonl:1: expected a JSON object")]
    [InlineData("corpus.jsonl", 1, "{\"_id\": \"d1\", \"text\": 5, \"title\": {}}", "corpus.jsonl:1: \"title\" must be a string")]
    [InlineData("queries.jsonl", 2, "{\"_id\": \"q2\"}", "queries.jsonl:2: missing or empty \"text\"")]
    [InlineData("qrels/test.tsv", 1, "qid\tdid\tscore", "test.tsv:1: expected the header")]
    [InlineData("qrels/test.tsv", 3, "q2 d4 2", "test.tsv:3: expected 3 tab-separated fields, found 1")]
    [InlineData("qrels/test.tsv", 2, "q1\td3\thigh", "test.tsv:2: score \"high\" is not a non-negative integer")]
    [InlineData("qrels/test.tsv", 2, "q1\td9\t1", "test.tsv:2: corpus-id \"d9\" is not in corpus.jsonl")]
    [InlineData("qrels/test.tsv", 2, "q9\td1\t1", "test.tsv:2: query-id \"q9\" is not in queries.jsonl")]
    [InlineData("qrels/test.tsv", 3, "q1\td3\t1", "test.tsv:3: pair (q1, d3) is judged twice")]
    public void Malformed_lines_are_reported_with_file_and_line(string file, int line, string content, string expected)
    {
        var root = TinyBeir.Write(_dir.Combine("bad"));
        var path = Path.Combine(root, file);
        var lines = File.ReadAllLines(path).ToList();
        lines[line - 1] = content;
        File.WriteAllLines(path, lines);

        var error = Assert.Throws<InvalidInputException>(() => BeirReader.Read(root));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_files_are_named()
    {
        var root = TinyBeir.Write(_dir.Combine("missing"));
        File.Delete(Path.Combine(root, "qrels", "test.tsv"));
        var error = Assert.Throws<NotFoundException>(() => BeirReader.Read(root));
        Assert.Contains(Path.Combine("qrels", "test.tsv"), error.Message, StringComparison.Ordinal);
        Assert.Throws<NotFoundException>(() => BeirReader.Read(_dir.Combine("nowhere")));
    }

    [Fact]
    public void Judgements_without_any_relevant_document_are_refused()
    {
        var root = TinyBeir.Write(_dir.Combine("zeros"));
        File.WriteAllLines(Path.Combine(root, "qrels", "test.tsv"), ["query-id\tcorpus-id\tscore", "q1\td1\t0"]);
        var error = Assert.Throws<InvalidInputException>(() => BeirReader.Read(root));
        Assert.Contains("no judgement has a positive score", error.Message, StringComparison.Ordinal);
    }
}
