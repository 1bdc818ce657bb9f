using System.Text.Json.Nodes;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory.Facts;

/// <summary>`minime remember` and `minime facts ...` end to end, in-process, on a temporary workspace.</summary>
public sealed class FactsCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    private async Task<CliResult> Ok(params string[] args)
    {
        var result = await Minime(args);
        Assert.True(result.ExitCode == 0, $"minime {string.Join(' ', args)} exited {result.ExitCode}: {result.Error}");
        return result;
    }

    private async Task<JsonObject> RememberJson(params string[] args) => JsonNode.Parse((await Ok(["remember", .. args, "--json"])).Out)!.AsObject();

    private async Task<JsonArray> ListJson(params string[] args) => JsonNode.Parse((await Ok(["facts", "list", .. args, "--json"])).Out)!.AsArray();

    private static long Id(JsonObject outcome) => outcome["fact"]!["id"]!.GetValue<long>();

    private async Task InitAsync() => await Ok("init", "--name", "Ada");

    [Fact]
    public async Task Remember_adds_then_reinforces_without_a_new_row()
    {
        await InitAsync();
        var added = await Ok("remember", "prefers", "dark", "mode", "--category", "ui");
        Assert.Contains("Remembered #1 \"prefers dark mode\" in ui", added.Out, StringComparison.Ordinal);

        var again = await Ok("remember", "I prefer dark mode.");
        Assert.Contains("Already known", again.Out, StringComparison.Ordinal);
        Assert.Contains("seen 2 times", again.Out, StringComparison.Ordinal);

        var facts = await ListJson();
        var fact = Assert.Single(facts)!.AsObject();
        Assert.Equal("prefers dark mode", fact["text"]!.GetValue<string>());
        Assert.Equal(2, fact["seen_count"]!.GetValue<int>());
        foreach (var field in new[] { "id", "category", "source", "status", "confidence", "importance", "created_at", "last_seen_at", "superseded_by", "retracted_at" })
            Assert.True(fact.ContainsKey(field), field);
    }

    [Fact]
    public async Task A_contradiction_supersedes_and_the_old_fact_shows_in_the_full_list_and_history()
    {
        await InitAsync();
        var old = Id(await RememberJson("lives in Oslo"));
        var result = await RememberJson("lives in Bergen");

        Assert.Equal("superseded", result["outcome"]!.GetValue<string>());
        Assert.Equal([Id(result)], (await ListJson()).Select(f => f!["id"]!.GetValue<long>()));
        var all = await ListJson("--all");
        var superseded = all.Single(f => f!["id"]!.GetValue<long>() == old)!;
        Assert.Equal("superseded", superseded["status"]!.GetValue<string>());
        Assert.Equal(Id(result), superseded["superseded_by"]!.GetValue<long>());

        var history = JsonNode.Parse((await Ok("facts", "history", old.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")).Out)!;
        Assert.Equal(["created", "superseded"], history["history"]!.AsArray().Select(e => e!["change"]!.GetValue<string>()));
        var text = await Ok("facts", "history", $"#{old}");
        Assert.Contains($"superseded by #{Id(result)}", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_filters_by_category_and_status()
    {
        await InitAsync();
        await Ok("remember", "uses Rider", "--category", "tools");
        await Ok("remember", "prefers tea", "--category", "food");

        Assert.Equal(["uses Rider"], (await ListJson("--category", "tools")).Select(f => f!["text"]!.GetValue<string>()));
        Assert.Empty(await ListJson("--status", "retracted"));
        var bare = await Ok("facts", "--category", "food");
        Assert.Contains("prefers tea", bare.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Rider", bare.Out, StringComparison.Ordinal);
        Assert.Equal(2, (await Minime("facts", "list", "--status", "bogus")).ExitCode);
    }

    [Fact]
    public async Task Review_lists_pending_items_and_flags_decide_them()
    {
        await InitAsync();
        await Ok("remember", "never deploys on Fridays");
        var queued = await RememberJson("deploys on Fridays after noon");
        Assert.Equal("queued", queued["outcome"]!.GetValue<string>());
        var reviewId = queued["review_id"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var listing = await Ok("facts", "review");
        Assert.Contains($"review {reviewId} (pending)", listing.Out, StringComparison.Ordinal);
        Assert.Contains("may contradict", listing.Out, StringComparison.Ordinal);
        Assert.Contains("--keep-both", listing.Out, StringComparison.Ordinal);

        // Without a terminal, an id alone is not enough; two decisions at once are refused.
        Assert.Equal(2, (await Minime("facts", "review", reviewId)).ExitCode);
        Assert.Equal(2, (await Minime("facts", "review", reviewId, "--accept", "--reject")).ExitCode);
        Assert.Equal(2, (await Minime("facts", "review", "--accept")).ExitCode);

        var kept = await Ok("facts", "review", reviewId, "--keep-both");
        Assert.Contains("are both active", kept.Out, StringComparison.Ordinal);
        Assert.Equal(2, (await ListJson()).Count);
        Assert.Equal(2, (await Minime("facts", "review", reviewId, "--reject")).ExitCode);
        Assert.Equal(1, (await Minime("facts", "review", "99", "--reject")).ExitCode);
        Assert.Contains("Nothing to review", (await Ok("facts", "review")).Out, StringComparison.Ordinal);
        var all = JsonNode.Parse((await Ok("facts", "review", "--all", "--json")).Out)!.AsArray();
        Assert.Equal("kept_both", Assert.Single(all)!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Review_accept_and_reject_by_flag()
    {
        await InitAsync();
        var known = Id(await RememberJson("prefers dark mode"));
        var first = await RememberJson("prefers dark mode everywhere");
        var accepted = await Ok("facts", "review", first["review_id"]!.ToString(), "--accept");
        Assert.Contains($"supersedes #{known}", accepted.Out, StringComparison.Ordinal);

        var second = await RememberJson("prefers dark mode everywhere except terminals");
        Assert.Equal("queued", second["outcome"]!.GetValue<string>());
        await Ok("facts", "review", second["review_id"]!.ToString(), "--reject");

        Assert.Equal([Id(first)], (await ListJson()).Select(f => f!["id"]!.GetValue<long>()));
        Assert.Equal("rejected", (await ListJson("--status", "rejected")).Single()!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Forget_asks_for_confirmation_keeps_history_and_purge_deletes()
    {
        await InitAsync();
        var id = Id(await RememberJson("uses Rider")).ToString(System.Globalization.CultureInfo.InvariantCulture);

        var refused = await Minime("facts", "forget", id);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--yes", refused.Error, StringComparison.Ordinal);
        Assert.Single(await ListJson());

        var forgot = await Ok("facts", "forget", id, "--yes");
        Assert.Contains("Forgot", forgot.Out, StringComparison.Ordinal);
        Assert.Empty(await ListJson());
        var retracted = (await ListJson("--all")).Single()!;
        Assert.Equal("retracted", retracted["status"]!.GetValue<string>());
        Assert.NotNull(retracted["retracted_at"]);
        var history = JsonNode.Parse((await Ok("facts", "history", id, "--json")).Out)!["history"]!.AsArray();
        Assert.Equal(["created", "retracted"], history.Select(e => e!["change"]!.GetValue<string>()));

        Assert.Equal(2, (await Minime("facts", "forget", id, "--yes")).ExitCode);
        Assert.Equal(2, (await Minime("facts", "forget", id, "--purge")).ExitCode);
        await Ok("facts", "forget", id, "--purge", "--yes");
        Assert.Empty(await ListJson("--all"));
        Assert.Equal(1, (await Minime("facts", "history", id)).ExitCode);
    }

    [Fact]
    public async Task Edit_rewords_and_keeps_the_old_wording()
    {
        await InitAsync();
        var id = Id(await RememberJson("uses Rider")).ToString(System.Globalization.CultureInfo.InvariantCulture);

        var edited = await Ok("facts", "edit", id, "uses", "VS", "Code");
        Assert.Contains("\"uses VS Code\"", edited.Out, StringComparison.Ordinal);

        Assert.Equal("uses VS Code", (await ListJson()).Single()!["text"]!.GetValue<string>());
        var history = await Ok("facts", "history", id);
        Assert.Contains("was \"uses Rider\"", history.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("remember")]
    [InlineData("remember", "  ")]
    [InlineData("remember", "prefers tea", "--category", "bad cat")]
    [InlineData("remember", "prefers tea", "--importance", "3")]
    [InlineData("remember", "prefers", "--bogus")]
    [InlineData("facts", "forget", "abc", "--yes")]
    [InlineData("facts", "edit", "-5", "text")]
    public async Task Bad_input_is_a_usage_error_with_one_line(params string[] args)
    {
        await InitAsync();
        var result = await Minime(args);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error:", result.Error, StringComparison.Ordinal);
        Assert.Empty(await ListJson("--all"));
    }

    [Fact]
    public async Task Unknown_ids_are_not_found()
    {
        await InitAsync();
        foreach (var args in new[] { new[] { "facts", "forget", "42", "--yes" }, ["facts", "edit", "42", "x"], ["facts", "history", "42"] })
        {
            var result = await Minime(args);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("No fact #42", result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Facts_without_a_workspace_say_to_run_init()
    {
        var result = await Minime("remember", "prefers tea");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("minime init", result.Error, StringComparison.Ordinal);
    }
}
