using System.Globalization;
using System.Runtime.InteropServices;
using MiniMe.Bench.Agents;
using MiniMe.Bench.Ann;
using MiniMe.Bench.Cli;
using MiniMe.Bench.Embeddings;
using MiniMe.Bench.Memory;
using MiniMe.Bench.Server;
using MiniMe.Bench.Tools;
using MiniMe.Bench.Tracing;

// MiniMe benchmarks: a plain harness printing Markdown tables for docs/benchmarks.md.
//   dotnet run -c Release --project bench/MiniMe.Bench -- all
//   dotnet run -c Release --project bench/MiniMe.Bench -- search --sizes 10000,100000 --queries 300
//   dotnet run -c Release --project bench/MiniMe.Bench -- ann --sizes 100000,1000000
//   dotnet run -c Release --project bench/MiniMe.Bench -- hybrid --import-chunks 10000 --sizes 10000,100000 --queries 200
//   dotnet run -c Release --project bench/MiniMe.Bench -- server --requests 2000 --concurrency 8 --seconds 60 --streams 300
//   dotnet run -c Release --project bench/MiniMe.Bench -- integrity --sizes 10000,100000 --runs 5
//   dotnet run -c Release --project bench/MiniMe.Bench -- coldstart --runs 15 --chunks 10000 [--cli DIR-WITH-minime.dll]
//   dotnet run -c Release --project bench/MiniMe.Bench -- redact --iterations 2000
//   dotnet run -c Release --project bench/MiniMe.Bench -- teardown --runs 10 --processes 256 --timeout 10
//   dotnet run -c Release --project bench/MiniMe.Bench -- sandbox --runs 30 --files 10000
//   dotnet run -c Release --project bench/MiniMe.Bench -- embed --texts 2000 --runs 2
//   dotnet run -c Release --project bench/MiniMe.Bench -- pgvector --sizes 20000,100000 --queries 200 [--ef-search 128]
//   dotnet run -c Release --project bench/MiniMe.Bench -- scale --requests 1500 --concurrency 8 --seconds 40 --docs 200
// Commands: all (search, import, coldstart, agents, server, redact, teardown, sandbox) | search | import | coldstart | agents | server | redact | teardown | sandbox | ann | integrity | embed | hybrid | pgvector | scale
// `hybrid` (the bundled model: import with vectors, hybrid search) is not part of `all` either: embedding 10k chunks takes minutes on 2 cores.
// `ann` is not part of `all`: its 1M-vector run takes minutes and ~2 GB of memory; nor is `integrity`
// (the damage check at writer open), which builds its own 100k-chunk database; nor is `embed` (minutes of CPU);
// nor is `pgvector` (dense search on PostgreSQL vs SQLite; needs PostgreSQL with pgvector, scripts/build-pgvector.sh);
// nor is `scale` (two `minime serve` instances over one PostgreSQL vs one; needs the PostgreSQL server binaries).
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

var command = args.Length > 0 ? args[0] : "all";
int Option(string name, int fallback) =>
    Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
int[] Sizes(string name, int[] fallback) =>
    Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length
        ? [.. args[i + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]
        : fallback;

Console.WriteLine($"# MiniMe benchmarks — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
Console.WriteLine($"command: dotnet run -c Release --project bench/MiniMe.Bench -- {string.Join(' ', args)}");

var known = new[] { "all", "search", "import", "coldstart", "agents", "server", "redact", "teardown", "sandbox", "ann", "integrity", "embed", "hybrid", "pgvector", "scale" };
if (!known.Contains(command))
{
    Console.Error.WriteLine($"unknown benchmark '{command}'; use one of: {string.Join(", ", known)}");
    return 2;
}
var rc = 0;
if (command is "all" or "search")
    rc |= await SearchBenchmark.RunAsync(Sizes("--sizes", [10_000, 100_000]), Option("--queries", 300),
        Array.IndexOf(args, "--postgres") is var p and >= 0 && p + 1 < args.Length ? args[p + 1] : null, cancel.Token);
if (command is "all" or "import")
    rc |= await ImportBenchmark.RunAsync(Option("--files", 3000), cancel.Token);
if (command is "all" or "coldstart")
    rc |= await ColdStartBenchmark.RunAsync(Option("--runs", 15), Option("--chunks", 10_000),
        Array.IndexOf(args, "--cli") is var cliAt and >= 0 && cliAt + 1 < args.Length ? args[cliAt + 1] : null, cancel.Token);
if (command is "all" or "agents")
    rc |= await OrchestrationBenchmark.RunAsync(command == "agents" ? args[1..] : [], cancel.Token);
if (command is "all" or "server")
    rc |= await ServerBenchmark.RunAsync(command == "server" ? args[1..] : [], cancel.Token);
if (command is "integrity")
    rc |= await IntegrityCheckBenchmark.RunAsync(Sizes("--sizes", [10_000, 100_000]), Option("--runs", 5), cancel.Token);
if (command is "all" or "redact")
    rc |= await RedactionBenchmark.RunAsync(Option("--iterations", 2000), cancel.Token);
if (command is "all" or "teardown")
    rc |= await TeardownBenchmark.RunAsync(command == "teardown" ? args[1..] : [], cancel.Token);
if (command is "all" or "sandbox")
    rc |= await SandboxBenchmark.RunAsync(command == "sandbox" ? args[1..] : [], cancel.Token);
if (command is "embed")
    rc |= await EmbeddingBenchmark.RunAsync(args[1..], cancel.Token);
if (command is "hybrid")
    rc |= await HybridBenchmark.RunAsync(Option("--import-chunks", 10_000), Sizes("--sizes", [10_000, 100_000]), Option("--queries", 200), cancel.Token);
if (command is "pgvector")
    rc |= await PgvectorBenchmark.RunAsync(Sizes("--sizes", [20_000]), Option("--queries", 200), Option("--ef-search", 128), cancel.Token);
if (command is "scale")
    rc |= await ScaleBenchmark.RunAsync(args[1..], cancel.Token);
if (command is "ann")
    rc |= await AnnBenchmark.RunAsync(args[1..], cancel.Token);
return rc;
