using System.Globalization;
using System.Text.Json.Nodes;

namespace MiniMe.Bench.Ann;

/// <summary>Command-line settings of the ANN benchmark.</summary>
internal sealed record AnnSettings
{
    public const string Usage =
        "usage: ann [--sizes 100000,1000000] [--dims 384] [--queries 1000] [--k 10] [--m 16] [--ef-construction 120] " +
        "[--ef-search 64,128,256] [--threads N] [--clusters N] [--seed 42] [--no-persist] [--no-int8] [--no-usearch] [--json FILE]";

    public IReadOnlyList<int> Sizes { get; init; } = [100_000];
    public int Dims { get; init; } = 384;
    public int Queries { get; init; } = 1000;
    public int K { get; init; } = 10;
    public int M { get; init; } = 16;
    public int EfConstruction { get; init; } = 120;
    public IReadOnlyList<int> EfSearch { get; init; } = [64, 128, 256];
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int? Clusters { get; init; }
    public int Seed { get; init; } = 42;
    public bool Persist { get; init; } = true;
    public bool Int8 { get; init; } = true;
    public bool USearch { get; init; } = true;
    public string? JsonPath { get; init; }

    public static AnnSettings Parse(string[] args)
    {
        var s = new AnnSettings();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            s = args[i] switch
            {
                "--sizes" => s with { Sizes = Ints(Value(), "--sizes", 1) },
                "--dims" => s with { Dims = Int(Value(), "--dims", 2) },
                "--queries" => s with { Queries = Int(Value(), "--queries", 1) },
                "--k" => s with { K = Int(Value(), "--k", 1) },
                "--m" => s with { M = Int(Value(), "--m", 4) },
                "--ef-construction" => s with { EfConstruction = Int(Value(), "--ef-construction", 8) },
                "--ef-search" => s with { EfSearch = Ints(Value(), "--ef-search", 1) },
                "--threads" => s with { Threads = Int(Value(), "--threads", 1) },
                "--clusters" => s with { Clusters = Int(Value(), "--clusters", 1) },
                "--seed" => s with { Seed = Int(Value(), "--seed", 0) },
                "--no-persist" => s with { Persist = false },
                "--no-int8" => s with { Int8 = false },
                "--no-usearch" => s with { USearch = false },
                "--json" => s with { JsonPath = Value() },
                _ => throw new FormatException($"unknown option {args[i]}"),
            };
        }
        return s;
    }

    public JsonObject ToJson() => new()
    {
        ["dims"] = Dims,
        ["queries"] = Queries,
        ["k"] = K,
        ["m"] = M,
        ["efConstruction"] = EfConstruction,
        ["threads"] = Threads,
        ["seed"] = Seed,
    };

    private static int Int(string text, string name, int min) =>
        int.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min
            ? v
            : throw new FormatException($"{name} must be an integer >= {min} (got '{text}')");

    private static List<int> Ints(string text, string name, int min) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => Int(t, name, min))];
}
