using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MiniMe.Bench.Support;
using MiniMe.Tracing;

namespace MiniMe.Bench.Tracing;

/// <summary>
/// Secret redaction of one ~4 KB trace event (an agent call: prompt with retrieved chunks, paths,
/// hashes, token counts) with MiniMe's rule set, beside the floor: the same text through one
/// Regex.Replace with the single pattern MiniMe used before (5 formats).
/// </summary>
public static partial class RedactionBenchmark
{
    private const int Rounds = 7;

    public static Task<int> RunAsync(int iterations, CancellationToken cancellationToken)
    {
        var clean = Event(withSecrets: false).ToJsonString();
        var dirty = Event(withSecrets: true).ToJsonString();
        Report.Header("Secret redaction (one trace event, µs per event)", "event", "bytes", "MiniMe µs", "floor µs", "ratio");
        foreach (var (name, text) in new[] { ("no secret", clean), ("4 secrets", dirty) })
        {
            cancellationToken.ThrowIfCancellationRequested();
            var minime = Measure(() => SecretRedactor.RedactText(text), iterations);
            var floor = Measure(() => OldPattern().Replace(text, SecretRedactor.Mask), iterations);
            Report.Row(name, text.Length.ToString("N0", CultureInfo.InvariantCulture), minime.ToString("0.0", CultureInfo.InvariantCulture),
                floor.ToString("0.0", CultureInfo.InvariantCulture), (minime / floor).ToString("0.0", CultureInfo.InvariantCulture) + "×");
        }
        var redacted = SecretRedactor.RedactText(dirty);
        return Task.FromResult(redacted.Contains("hunter2", StringComparison.Ordinal) ? 1 : 0);
    }

    /// <summary>Median over <see cref="Rounds"/> rounds of the mean time per call, after a warm-up.</summary>
    private static double Measure(Func<string> work, int iterations)
    {
        for (var i = 0; i < Math.Max(100, iterations / 10); i++) work();
        var rounds = new List<double>(Rounds);
        for (var r = 0; r < Rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++) work();
            rounds.Add(clock.Elapsed.TotalMicroseconds / iterations);
        }
        return Stats.Percentile(rounds, 50);
    }

    private static JsonObject Event(bool withSecrets)
    {
        var corpus = new SyntheticCorpus(seed: 5);
        var chunks = new JsonArray();
        for (var i = 0; i < 6; i++)
        {
            var text = corpus.Paragraph(60);
            if (withSecrets && i == 1) text += " Use DB_PASSWORD=hunter2 for staging.";
            if (withSecrets && i == 3) text += " The token is ghp_abcdefghijklmnopqrstuvwxyz0123456789.";
            chunks.Add(new JsonObject
            {
                ["id"] = 1000 + i,
                ["source"] = $"/home/ann/projects/minime/src/MiniMe.Core/Memory/File{i}.cs",
                ["content_hash"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))),
                ["score"] = Math.Round(0.9 - i * 0.07, 4),
                ["text"] = text,
            });
        }
        var prompt = "You are the Builder. Follow the architect's plan and return JSON.\n\nTask: add retries with backoff to the HTTP client.";
        if (withSecrets) prompt += "\nConnection: postgres://app:s3cretPass@db.internal:5432/app\nAuthorization: Basic dXNlcjpwYXNzd29yZA==";
        return new JsonObject
        {
            ["run_id"] = "20261123-091502-3fa9c1",
            ["agent"] = "builder",
            ["model"] = "gpt-4.1-mini",
            ["prompt"] = prompt,
            ["retrieved"] = chunks,
            ["prompt_tokens"] = 1834,
            ["completion_tokens"] = 412,
            ["latency_ms"] = 2310.5,
            ["valid"] = true,
        };
    }

    // The redactor's single pattern before the rule set (OpenAI/Anthropic, GitHub, AWS key ids, bearer, PEM).
    [GeneratedRegex(@"(sk-(ant-)?[A-Za-z0-9_\-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|(?i:bearer)\s+[A-Za-z0-9._\-]{16,}|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----)")]
    private static partial Regex OldPattern();
}
