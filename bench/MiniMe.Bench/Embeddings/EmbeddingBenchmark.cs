using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using MiniMe.Bench.Support;
using MiniMe.Embeddings;

namespace MiniMe.Bench.Embeddings;

/// <summary>
/// Embedding throughput of the bundled all-MiniLM-L6-v2: the same N chunk-sized texts from the repository's docs
/// and sources, embedded by a plain OnnxRuntime loop (the floor) and by MiniMe's <see cref="OnnxEmbeddingGenerator"/>.
/// </summary>
public static class EmbeddingBenchmark
{
    private const int BatchSize = 32;
    private const int MaxTokens = 256;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var count = Option(args, "--texts", 2000);
        var runs = Option(args, "--runs", 2);
        var model = BundledModels.Materialize(BundledModels.Get("minilm"));
        var texts = Texts(count);
        var chars = texts.Sum(t => t.Length);

        Console.WriteLine();
        Console.WriteLine($"{texts.Count} texts from docs/ and src/, {chars / texts.Count} characters on average ({texts.Min(t => t.Length)}–{texts.Max(t => t.Length)}), " +
            $"model {model.Model.Name}, batch {BatchSize}, {Environment.ProcessorCount} intra-op threads, best of {runs} runs");

        using var floor = new PlainOnnxLoop(model);
        var options = OnnxEmbeddingOptions.For(model);
        using var truncating = new OnnxEmbeddingGenerator(options with { MaxWindows = 1 });
        using var noSpin = new OnnxEmbeddingGenerator(options with { MaxWindows = 1, AllowSpinning = true });
        using var windowed = new OnnxEmbeddingGenerator(options);

        // Warm-up: JIT, ONNX Runtime's arena and thread pool.
        var warm = texts.Take(64).ToList();
        floor.Embed(warm);
        await truncating.GenerateAsync(warm, cancellationToken: cancellationToken);
        await noSpin.GenerateAsync(warm, cancellationToken: cancellationToken);
        await windowed.GenerateAsync(warm, cancellationToken: cancellationToken);

        var floorBest = double.MaxValue;
        var miniBest = double.MaxValue;
        var noSpinBest = double.MaxValue;
        var windowedBest = double.MaxValue;
        long floorTokens = 0, miniTokens = 0, windowedTokens = 0;
        float[][]? floorVectors = null;
        IList<Microsoft.Extensions.AI.Embedding<float>>? miniVectors = null;
        for (var run = 0; run < runs; run++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            (floorVectors, floorTokens) = floor.Embed(texts);
            floorBest = Math.Min(floorBest, clock.Elapsed.TotalSeconds);

            clock.Restart();
            var mini = await truncating.GenerateAsync(texts, cancellationToken: cancellationToken);
            miniBest = Math.Min(miniBest, clock.Elapsed.TotalSeconds);
            miniTokens = mini.Usage?.InputTokenCount ?? 0;
            miniVectors = mini;

            clock.Restart();
            await noSpin.GenerateAsync(texts, cancellationToken: cancellationToken);
            noSpinBest = Math.Min(noSpinBest, clock.Elapsed.TotalSeconds);

            clock.Restart();
            var all = await windowed.GenerateAsync(texts, cancellationToken: cancellationToken);
            windowedBest = Math.Min(windowedBest, clock.Elapsed.TotalSeconds);
            windowedTokens = all.Usage?.InputTokenCount ?? 0;
        }

        // The two must compute the same thing: same vectors up to float noise (tokenizers differ only on symbols and accents).
        var agree = Enumerable.Range(0, texts.Count)
            .Select(i => TensorPrimitives.CosineSimilarity(floorVectors![i], miniVectors![i].Vector.Span))
            .Order().ElementAt(texts.Count / 2);

        Report.Header("Embedding throughput (all-MiniLM-L6-v2, CPU)", "texts", "what", "word pieces", "seconds", "texts/s", "ratio to floor");
        Row(texts.Count, "floor: plain OnnxRuntime loop (sorted, batch 32, truncated at 256)", floorTokens, floorBest, floorBest);
        Row(texts.Count, "MiniMe OnnxEmbeddingGenerator, truncated at 256 (MaxWindows 1), spinning off (default)", miniTokens, miniBest, floorBest);
        Row(texts.Count, "MiniMe, truncated, allow_spinning on", miniTokens, noSpinBest, floorBest);
        Row(texts.Count, "MiniMe default: long inputs as overlapping windows", windowedTokens, windowedBest, floorBest);
        Console.WriteLine();
        Console.WriteLine($"median cosine between floor and MiniMe vectors: {agree.ToString("0.00000", CultureInfo.InvariantCulture)}");
        return 0;

        static void Row(int texts, string what, long tokens, double seconds, double floorSeconds) =>
            Report.Row(texts, what, tokens.ToString("N0", CultureInfo.InvariantCulture), seconds.ToString("0.00", CultureInfo.InvariantCulture),
                (texts / seconds).ToString("0.0", CultureInfo.InvariantCulture), (floorSeconds / seconds).ToString("0.00", CultureInfo.InvariantCulture));
    }

    /// <summary>Chunk-sized pieces (80–1,400 characters, mixed) of the repository's Markdown and C# files, deterministic.</summary>
    private static List<string> Texts(int count)
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "MiniMe.slnx")))
        {
            root = Path.GetDirectoryName(root);
        }

        root ??= Directory.GetCurrentDirectory();
        var files = Directory.GetFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains("AccentTable.g.cs", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        var random = new Random(12);
        var texts = new List<string>(count);
        while (texts.Count < count)
        {
            foreach (var file in files)
            {
                var content = File.ReadAllText(file);
                var at = 0;
                while (at < content.Length && texts.Count < count)
                {
                    var length = Math.Min(content.Length - at, random.Next(4) == 0 ? random.Next(80, 300) : random.Next(600, 1400));
                    var piece = content.Substring(at, length).Trim();
                    if (piece.Length >= 40)
                    {
                        texts.Add(piece);
                    }

                    at += length;
                }

                if (texts.Count >= count)
                {
                    break;
                }
            }
        }

        return texts;
    }

    private static int Option(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;

    /// <summary>The floor: what one would write by hand with OnnxRuntime and Microsoft.ML.Tokenizers.</summary>
    private sealed class PlainOnnxLoop : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly BertTokenizer _tokenizer;

        public PlainOnnxLoop(MaterializedModel model)
        {
            using var options = new SessionOptions
            {
                IntraOpNumThreads = Environment.ProcessorCount,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            _session = new InferenceSession(model.ModelPath, options);
            _tokenizer = BertTokenizer.Create(model.VocabPath, new BertOptions { LowerCaseBeforeTokenization = true });
        }

        public (float[][] Vectors, long Tokens) Embed(IReadOnlyList<string> texts)
        {
            var ids = texts.Select(t => _tokenizer.EncodeToIds(t, MaxTokens, addSpecialTokens: true, out _, out _)).ToArray();
            var order = Enumerable.Range(0, texts.Count).OrderBy(i => ids[i].Count).ToArray();
            var result = new float[texts.Count][];
            long tokens = 0;
            for (var start = 0; start < order.Length; start += BatchSize)
            {
                var batch = order.Skip(start).Take(BatchSize).ToArray();
                var seq = batch.Max(i => ids[i].Count);
                var inputIds = new long[batch.Length * seq];
                var mask = new long[batch.Length * seq];
                var types = new long[batch.Length * seq];
                for (var b = 0; b < batch.Length; b++)
                {
                    var row = ids[batch[b]];
                    tokens += row.Count;
                    for (var j = 0; j < row.Count; j++)
                    {
                        inputIds[(b * seq) + j] = row[j];
                        mask[(b * seq) + j] = 1;
                    }
                }

                long[] shape = [batch.Length, seq];
                using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
                using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
                using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
                using var runOptions = new RunOptions();
                using var outputs = _session.Run(
                    runOptions,
                    ["input_ids", "attention_mask", "token_type_ids"],
                    [idsValue, maskValue, typesValue],
                    ["last_hidden_state"]);
                var data = outputs[0].GetTensorDataAsSpan<float>();
                var dim = (int)outputs[0].GetTensorTypeAndShape().Shape[2];
                for (var b = 0; b < batch.Length; b++)
                {
                    var vector = new float[dim];
                    var n = ids[batch[b]].Count;
                    for (var j = 0; j < n; j++)
                    {
                        TensorPrimitives.Add(vector, data.Slice(((b * seq) + j) * dim, dim), vector);
                    }

                    TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
                    result[batch[b]] = vector;
                }
            }

            return (result, tokens);
        }

        public void Dispose() => _session.Dispose();
    }
}
