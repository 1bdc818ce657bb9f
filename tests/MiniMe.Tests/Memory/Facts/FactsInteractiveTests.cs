using System.Text.Json.Nodes;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory.Facts;

/// <summary>The prompts of `facts forget` and `facts review` on a terminal, answered by a key script.</summary>
public sealed class FactsInteractiveTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    private Task<CliResult> Interactive(IEnumerable<ConsoleKeyInfo> keys, params string[] args) => ScriptedConsole.RunAsync(keys, [.. args, "--home", Home]);

    private async Task<List<(string Text, string Status)>> All() =>
        [.. JsonNode.Parse((await Minime("facts", "list", "--all", "--json")).Out)!.AsArray()
            .Select(f => (f!["text"]!.GetValue<string>(), f["status"]!.GetValue<string>())).OrderBy(f => f.Item1, StringComparer.Ordinal)];

    [Fact]
    public async Task Forget_on_a_terminal_asks_and_answering_no_changes_nothing()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        Assert.Equal(0, (await Minime("remember", "uses Rider")).ExitCode);

        var declined = await Interactive(ScriptedConsole.Type("n"), "facts", "forget", "1");
        Assert.Equal(0, declined.ExitCode);
        Assert.Contains("Forget #1 \"uses Rider\"?", declined.Out, StringComparison.Ordinal);
        Assert.Contains("Nothing changed", declined.Out, StringComparison.Ordinal);
        Assert.Equal([("uses Rider", "active")], await All());

        var confirmed = await Interactive(ScriptedConsole.Type("y"), "facts", "forget", "1");
        Assert.Equal(0, confirmed.ExitCode);
        Assert.Equal([("uses Rider", "retracted")], await All());
    }

    [Fact]
    public async Task Review_on_a_terminal_goes_through_pending_items_with_a_choice_each()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        await Minime("remember", "never deploys on Fridays");
        await Minime("remember", "deploys on Fridays after noon");
        await Minime("remember", "prefers dark mode");
        await Minime("remember", "prefers dark mode everywhere");

        // First item: down once = keep both; second item: enter = accept.
        var result = await Interactive([ScriptedConsole.Down, ScriptedConsole.Enter, ScriptedConsole.Enter], "facts", "review");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("Review 1 kept both", result.Out, StringComparison.Ordinal);
        Assert.Contains("Review 2 accepted", result.Out, StringComparison.Ordinal);
        Assert.Equal(
            [("deploys on Fridays after noon", "active"), ("never deploys on Fridays", "active"),
             ("prefers dark mode", "superseded"), ("prefers dark mode everywhere", "active")],
            await All());
    }
}
