using System.Globalization;
using MiniMe.Agents;

namespace MiniMe.Cli.Rendering;

/// <summary>
/// Shows the team working, live, on stderr: which agent is asked, the tokens as they stream, and a
/// one-line account of each call and verdict. Plain text, so it reads the same on a terminal and in a log.
/// </summary>
internal sealed class AgentStreamRenderer(TextWriter writer)
{
    private bool _midLine;

    public void Render(TeamEvent e)
    {
        switch (e)
        {
            case AgentSkipped s:
                Line($"-- {s.Agent} skipped (routing weight {F(s.Weight)} < {F(s.Threshold)})");
                break;
            case AgentStarted s:
                var round = s.Iteration > 0 && s.Agent is AgentNames.Builder or AgentNames.Critic ? $" round {s.Iteration}" : "";
                Line($"-- {s.Agent}{round}{(s.Attempt > 0 ? $" (re-ask {s.Attempt})" : "")} --");
                break;
            case AgentDelta d:
                writer.Write(d.Text);
                _midLine = !d.Text.EndsWith('\n');
                break;
            case AgentFinished f:
                Line(Describe(f.Call));
                break;
            case CriticVerdict v:
                var blocking = v.Review.Violations.Count(x => x.Blocking);
                Line(v.Review.Valid
                    ? $"   review round {v.Review.Iteration}: accepted{(v.Review.Violations.Count > 0 ? $" ({v.Review.Violations.Count} advisory note(s))" : "")}"
                    : $"   review round {v.Review.Iteration}: rejected, {blocking} violation(s)");
                foreach (var x in v.Review.Violations)
                    Line($"     {(x.Blocking ? "x" : "~")} [{x.Rule}] {x.Message}{(x.Location is null ? "" : $" ({x.Location})")} ({x.Source})");
                break;
        }
        writer.Flush();
    }

    /// <summary>Ends a streamed line so what follows (an error, the summary) starts clean.</summary>
    public void EndLine()
    {
        if (_midLine) writer.WriteLine();
        _midLine = false;
        writer.Flush();
    }

    private void Line(string text)
    {
        EndLine();
        writer.WriteLine(text);
    }

    private static string Describe(AgentCallRecord c)
    {
        var cost = c.Cost is { } usd ? "$" + usd.ToString("0.0000", CultureInfo.InvariantCulture) : "unpriced";
        var tokens = $"{c.PromptTokens}+{c.CompletionTokens} tokens{(c.UsageEstimated ? " (estimated)" : "")}";
        var verdict = c.Valid ? "valid" : "invalid: " + string.Join("; ", c.Errors.Take(3));
        var repaired = c.Repairs.Count > 0 ? $" (repaired: {string.Join(", ", c.Repairs)})" : "";
        var retries = c.HttpRetries switch { 0 => "", 1 => " · 1 HTTP retry", var n => $" · {n} HTTP retries" };
        return $"   {c.Agent}: {verdict}{repaired} · {tokens} · {cost} · {(c.LatencyMs / 1000).ToString("0.0", CultureInfo.InvariantCulture)} s{retries}";
    }

    private static string F(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);
}
