using System.Globalization;
using System.Text;
using System.Text.Json;
using MiniMe.Embeddings;

namespace MiniMe.Tests.Embeddings;

[Collection(BundledModelCollection.Name)]
public sealed class BertUncasedTokenizerTests(BundledModelFixture models)
{
    private BertUncasedTokenizer Tokenizer => _tokenizer ??= BertUncasedTokenizer.Load(models.MiniLm.VocabPath);

    private ReferenceBertTokenizer Reference => _reference ??= new ReferenceBertTokenizer(models.MiniLm.VocabPath);

    private BertUncasedTokenizer? _tokenizer;
    private ReferenceBertTokenizer? _reference;

    public static TheoryData<string, string> HandChecked => new()
    {
        { "x ≥ 5 ± 2° and a=b+c", "x ≥ 5 ± 2° and a = b + c" },
        { "café naïve Straße", "cafe naive straße" },
        { "SqliteStore.OpenAsync()", "sql ##ite ##stor ##e . open ##as ##yn ##c ( )" },
        { "$HOME | grep ~ ^x <a>", "$ home | gr ##ep ~ ^ x < a >" },
        { "机器学习 is 中文", "[UNK] [UNK] 学 [UNK] is 中 文" },
        { "機械", "[UNK] [UNK]" },
        { "ÄÖÜ İstanbul", "aou istanbul" },
    };

    [Theory]
    [MemberData(nameof(HandChecked))]
    public void Tokenizer_keeps_symbols_strips_accents_and_splits_cjk_like_bert_uncased(string text, string expected)
    {
        var vocab = File.ReadAllLines(models.MiniLm.VocabPath);

        var tokens = string.Join(' ', Tokenizer.Encode(text).Select(id => vocab[id]));

        Assert.Equal(string.Join(' ', Reference.Tokenize(text)), tokens);
        Assert.Equal(expected.Replace(" ##", "", StringComparison.Ordinal), tokens.Replace(" ##", "", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \t\r\n ")]
    [InlineData("emoji 🙂 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and \u0000nul\ufffd and soft\u00adhyphen and zero\u200bwidth")]
    [InlineData("line\u2028separator, non\u00a0breaking, e\u0301 combining, \u0301 lone mark")]
    [InlineData("Ωμέγα ΣΟΦΙΑ ﬁ ① Å ǅ Ⅻ ㈱ 한국어 텍스트 ＡＢＣ")]
    [InlineData("a-very-long-identifier_with_underscores_and_numbers_1234567890_and_more_text_to_pass_one_hundred_characters_ok")]
    [InlineData("supercalifragilisticexpialidocioussupercalifragilisticexpialidocioussupercalifragilisticexpialidociousx")]
    public void Tokenizer_matches_reference_on_edge_cases(string text)
    {
        Assert.Equal(Reference.Ids(text), Tokenizer.Encode(text));
    }

    [Fact]
    public void Tokenizer_matches_reference_bert_uncased_on_every_eval_dataset_text()
    {
        var texts = EvalTexts().ToList();
        Assert.NotEmpty(texts);
        var mismatches = new List<string>();
        foreach (var (source, text) in texts)
        {
            var expected = Reference.Ids(text);
            var actual = Tokenizer.Encode(text);
            if (!expected.SequenceEqual(actual))
            {
                var at = expected.Zip(actual).TakeWhile(p => p.First == p.Second).Count();
                mismatches.Add($"{source}: first difference at token {at}");
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {texts.Count} texts differ:\n{string.Join('\n', mismatches.Take(20))}");
    }

    [Fact]
    public void Accent_stripping_matches_icu_nfd_without_non_spacing_marks_for_every_code_point()
    {
        Assert.True(ReferenceBertTokenizer.Icu.Available || !OperatingSystem.IsLinux(), "libicuuc is expected on Linux");
        if (!ReferenceBertTokenizer.Icu.Available)
        {
            return;
        }

        var mismatches = new List<string>();
        var ours = new StringBuilder();
        for (var cp = 0xA0; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and < 0xE000 || CharUnicodeInfo.GetUnicodeCategory(cp) == UnicodeCategory.OtherNotAssigned)
            {
                continue;
            }

            var text = char.ConvertFromUtf32(cp);
            var icu = string.Concat(ReferenceBertTokenizer.Icu.Nfd(text).EnumerateRunes()
                .Where(r => Rune.GetUnicodeCategory(r) != UnicodeCategory.NonSpacingMark).Select(r => r.ToString()));
            ours.Clear();
            AccentTable.Append(new Rune(cp), ours);
            if (icu != ours.ToString())
            {
                mismatches.Add($"U+{cp:X4}");
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} code points differ: {string.Join(' ', mismatches.Take(40))}");
    }

    private static IEnumerable<(string Source, string Text)> EvalTexts()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "MiniMe.slnx")))
        {
            root = Path.GetDirectoryName(root);
        }

        Assert.NotNull(root);
        foreach (var file in Directory.GetFiles(Path.Combine(root, "eval", "datasets"), "*.jsonl", SearchOption.AllDirectories)
                     .Where(f => Path.GetFileName(f) is "corpus.jsonl" or "queries.jsonl")
                     .Order(StringComparer.Ordinal))
        {
            var line = 0;
            foreach (var json in File.ReadLines(file))
            {
                line++;
                if (string.IsNullOrWhiteSpace(json))
                {
                    continue;
                }

                using var doc = JsonDocument.Parse(json);
                foreach (var field in new[] { "title", "text" })
                {
                    if (doc.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String)
                    {
                        yield return ($"{Path.GetRelativePath(root, file)}:{line}:{field}", value.GetString()!);
                    }
                }
            }
        }
    }
}
