using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;
using MiniMe.Embeddings;

namespace MiniMe.Tests.Embeddings;

[Collection(BundledModelCollection.Name)]
public sealed class BundledModelEmbeddingTests(BundledModelFixture models)
{
    private const string Query = "how are chunks ranked";
    private const string Ranking = "Search results are ordered by a relevance score that combines vector similarity with keyword matches.";
    private const string Unrelated = "The bakery on the corner sells fresh sourdough bread every morning.";

    [Fact]
    public async Task Minilm_embeds_a_query_closer_to_a_ranking_sentence_than_to_an_unrelated_one()
    {
        var generator = models.MiniLmGenerator;

        var query = await generator.GenerateAsync([Query], EmbeddingPurpose.Query());
        var docs = await generator.GenerateAsync([Ranking, Unrelated], EmbeddingPurpose.Document());

        Assert.Equal(384, query[0].Vector.Length);
        Assert.Equal(384, generator.Dimensions);
        var related = Cosine(query[0], docs[0]);
        var unrelated = Cosine(query[0], docs[1]);
        Assert.True(related > unrelated + 0.1f, $"related {related} should clearly exceed unrelated {unrelated}");
    }

    [Fact]
    public async Task Arctic_xs_with_cls_pooling_and_query_prefix_ranks_the_ranking_sentence_first()
    {
        var generator = models.ArcticGenerator;

        var query = await generator.GenerateAsync([Query], EmbeddingPurpose.Query());
        var docs = await generator.GenerateAsync([Ranking, Unrelated]);

        Assert.Equal(384, query[0].Vector.Length);
        Assert.Equal(EmbeddingPooling.Cls, models.ArcticXs.Model.Pooling);
        var related = Cosine(query[0], docs[0]);
        var unrelated = Cosine(query[0], docs[1]);
        Assert.True(related > unrelated + 0.05f, $"related {related} should clearly exceed unrelated {unrelated}");
    }

    [Fact]
    public async Task Query_prefix_is_applied_only_for_query_purpose()
    {
        var generator = models.ArcticGenerator;

        var asQuery = await generator.GenerateAsync([Query], EmbeddingPurpose.Query());
        var asDocument = await generator.GenerateAsync([Query], EmbeddingPurpose.Document());
        var unmarked = await generator.GenerateAsync([Query]);

        // "how are chunks ranked" is 4 word pieces + [CLS] + [SEP]; the prefix adds its own.
        Assert.Equal(6, asDocument.Usage!.InputTokenCount);
        Assert.Equal(6, unmarked.Usage!.InputTokenCount);
        Assert.True(asQuery.Usage!.InputTokenCount > 6 + 5, $"query used {asQuery.Usage.InputTokenCount} tokens");
        Assert.Equal(asDocument[0].Vector.ToArray(), unmarked[0].Vector.ToArray());
        Assert.True(Cosine(asQuery[0], asDocument[0]) < 0.999f);
    }

    [Fact]
    public async Task Minilm_has_no_query_prefix_so_purpose_does_not_change_the_vector()
    {
        var generator = models.MiniLmGenerator;

        var asQuery = await generator.GenerateAsync([Query], EmbeddingPurpose.Query());
        var asDocument = await generator.GenerateAsync([Query]);

        Assert.Equal(asDocument.Usage!.InputTokenCount, asQuery.Usage!.InputTokenCount);
        Assert.True(Cosine(asQuery[0], asDocument[0]) > 0.99999f);
    }

    [Fact]
    public async Task Long_input_is_embedded_as_overlapping_windows_and_every_window_is_counted()
    {
        var text = LongText(700);
        using var truncating = new OnnxEmbeddingGenerator(OnnxEmbeddingOptions.For(models.MiniLm) with { MaxWindows = 1 });
        var generator = models.MiniLmGenerator;

        var windowed = await generator.GenerateAsync([text]);
        var truncated = await truncating.GenerateAsync([text]);

        Assert.Equal(512, truncated.Usage!.InputTokenCount);
        Assert.True(windowed.Usage!.InputTokenCount > 700, $"windowed used {windowed.Usage.InputTokenCount} tokens");
        Assert.Equal(1f, TensorPrimitives.Norm(windowed[0].Vector.Span), 4);
        Assert.True(Cosine(windowed[0], truncated[0]) < 0.999f, "the windows past the first must change the vector");
        Assert.NotEqual(truncating.ModelId, generator.ModelId);
    }

    [Fact]
    public async Task Batch_results_come_back_in_input_order_and_match_one_by_one()
    {
        var generator = models.MiniLmGenerator;
        string[] texts =
        [
            LongText(120),
            "short",
            "SqliteStore.OpenAsync() opens the database and runs migrations",
            LongText(400),
            "x ≥ 5 ± 2° and a=b+c",
            "",
            "café naïve Straße",
            LongText(30),
        ];

        var batch = await generator.GenerateAsync(texts);

        Assert.Equal(texts.Length, batch.Count);
        for (var i = 0; i < texts.Length; i++)
        {
            var single = await generator.GenerateAsync([texts[i]]);
            var cosine = Cosine(single[0], batch[i]);
            Assert.True(cosine > 0.9999f, $"text {i}: cosine {cosine}");
        }
    }

    [Fact]
    public async Task Both_bundled_models_produce_384_dimensions_from_their_onnx_files()
    {
        var mini = await models.MiniLmGenerator.GenerateAsync(["hello"]);
        var arctic = await models.ArcticGenerator.GenerateAsync(["hello"]);

        Assert.Equal(384, mini[0].Vector.Length);
        Assert.Equal(384, arctic[0].Vector.Length);
        Assert.Equal(models.MiniLm.Model.Dimensions, models.MiniLmGenerator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
        Assert.Equal(models.ArcticXs.Model.Dimensions, models.ArcticGenerator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
    }

    private static float Cosine(Embedding<float> a, Embedding<float> b) => TensorPrimitives.CosineSimilarity(a.Vector.Span, b.Vector.Span);

    private static string LongText(int words)
    {
        string[] topics =
        [
            "the index stores vectors for every chunk of a document", "queries are embedded and compared by cosine similarity",
            "bakers knead dough before dawn", "rivers carry sediment to the delta", "the compiler reports warnings as errors",
        ];
        var builder = new StringBuilder();
        for (var i = 0; builder.Length < words * 6; i++)
        {
            builder.Append(topics[(i / 7) % topics.Length]).Append(i % 3 == 0 ? ". " : ", ");
        }

        return builder.ToString();
    }
}
