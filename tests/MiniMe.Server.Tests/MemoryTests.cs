using System.Net.Http.Json;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

[Trait("Category", "Integration")]
public sealed class MemoryTests
{
    [Fact]
    public async Task Import_then_search_and_browse_and_reimport_is_a_no_op()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var body = new { documents = new[] { new { name = "db.md", content = "# Migrations\n\nDatabase migrations are additive first and reversible.\n" } }, tags = new[] { "db" } };
        var first = await client.PostJsonAsync("/v1/memory/import", body);
        Assert.Equal(1, first.GetProperty("files_imported").GetInt32());
        var again = await client.PostJsonAsync("/v1/memory/import", body);
        Assert.Equal(1, again.GetProperty("files_unchanged").GetInt32());

        var search = await client.GetJsonAsync("/v1/memory/search?q=reversible+migrations");
        var hit = search.GetProperty("hits")[0];
        Assert.Contains("additive first", hit.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("Migrations", hit.GetProperty("heading").GetString());
        // The server searches many times: memory.lexical auto answers from the Lucene.Net folder beside memory.db.
        Assert.True(Directory.Exists(server.Workspace.ResolvePath("memory.db") + ".lexical"), "the server did not use the Lucene index");

        var overview = await client.GetJsonAsync("/v1/memory");
        Assert.Equal(1, overview.GetProperty("stats").GetProperty("documents").GetInt64());
        Assert.EndsWith("db.md", overview.GetProperty("documents")[0].GetProperty("source").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Documents_are_listed_and_removed_through_the_api()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var body = new { documents = new[] { new { name = "db.md", content = "Database migrations are reversible.\n" }, new { name = "ops.md", content = "The pager rotates weekly.\n" } } };
        await client.PostJsonAsync("/v1/memory/import", body);

        var list = await client.GetJsonAsync("/v1/documents");
        Assert.Equal(2, list.GetProperty("total").GetProperty("documents").GetInt32());
        var first = list.GetProperty("documents")[0];
        var source = first.GetProperty("source").GetString()!;
        Assert.EndsWith("db.md", source, StringComparison.Ordinal);
        Assert.Equal(1, first.GetProperty("chunks").GetInt32());
        Assert.True(first.GetProperty("size_bytes").GetInt64() > 0);
        Assert.True(first.TryGetProperty("imported_at", out _));
        Assert.Equal(1, (await client.GetJsonAsync("/v1/documents?source=" + Uri.EscapeDataString(source))).GetProperty("total").GetProperty("documents").GetInt32());

        using var removed = await client.DeleteAsync("/v1/documents?source=" + Uri.EscapeDataString(source));
        var result = await removed.ReadAsync();
        Assert.Equal(source, result.GetProperty("removed")[0].GetString());
        Assert.Equal(1, result.GetProperty("chunks").GetInt32());
        Assert.Empty((await client.GetJsonAsync("/v1/memory/search?q=reversible")).GetProperty("hits").EnumerateArray());
        await (await client.DeleteAsync("/v1/documents?source=" + Uri.EscapeDataString(source))).AssertProblemAsync(404);
        await (await client.DeleteAsync("/v1/documents")).AssertProblemAsync(400);
        Assert.Equal(1, (await client.GetJsonAsync("/v1/documents")).GetProperty("total").GetProperty("documents").GetInt32());
    }

    [Fact]
    public async Task Facts_crud_with_duplicates_reinforced()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var added = await client.PostJsonAsync("/v1/memory/facts", new { text = "Prefers dark mode.", category = "Preference" });
        Assert.Equal("added", added.GetProperty("outcome").GetString());
        var id = added.GetProperty("fact").GetProperty("id").GetInt64();
        var again = await client.PostJsonAsync("/v1/memory/facts", new { text = "prefers   dark mode", importance = 0.9 });
        Assert.Equal("reinforced", again.GetProperty("outcome").GetString());
        Assert.Equal(id, again.GetProperty("fact").GetProperty("id").GetInt64());
        Assert.Equal(2, again.GetProperty("fact").GetProperty("seen_count").GetInt32());
        Assert.Equal(0.9, again.GetProperty("fact").GetProperty("importance").GetDouble());

        using var update = await client.PutAsJsonAsync($"/v1/memory/facts/{id}", new { text = "Prefers light mode in the morning" });
        var updated = await update.ReadAsync();
        Assert.Equal("Prefers light mode in the morning", updated.GetProperty("text").GetString());
        Assert.Equal("preference", updated.GetProperty("category").GetString());

        using var bad = await client.PostAsJsonAsync("/v1/memory/facts", new { text = "x", confidence = 3 });
        Assert.Contains("confidence", await bad.AssertProblemAsync(400), StringComparison.Ordinal);
        using var badSource = await client.PostAsJsonAsync("/v1/memory/facts", new { text = "y", source = "rumour" });
        await badSource.AssertProblemAsync(400);

        Assert.Single((await client.GetJsonAsync("/v1/memory/facts?category=preference")).EnumerateArray());
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/memory/facts/{id}")).StatusCode);
        await (await client.GetAsync($"/v1/memory/facts/{id}")).AssertProblemAsync(404);
    }

    [Fact]
    public async Task Profile_put_changes_the_persona_the_chat_uses_and_a_bad_profile_changes_nothing()
    {
        var model = new ScriptedChatClient().Enqueue("Arr.");
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k", "dana"));
        var profile = await client.GetJsonAsync("/v1/profile");
        Assert.Equal("calm, direct, pragmatic engineer", profile.GetProperty("persona").GetProperty("voice").GetString());

        using var put = await client.PutAsJsonAsync("/v1/profile", new
        {
            persona = new { voice = "terse pirate engineer", tone = "salty", style_rules = new[] { "Say arr." } },
            principles = new[] { new { name = "Ship small", description = "Small pull requests.", magnitude = 0.8, scope = "global" } },
        });
        var saved = await put.ReadAsync();
        Assert.Equal("terse pirate engineer", saved.GetProperty("persona").GetProperty("voice").GetString());
        Assert.Equal("Ship small", saved.GetProperty("principles")[0].GetProperty("name").GetString());

        using var bad = await client.PutAsJsonAsync("/v1/profile", new { principles = new[] { new { name = "Too much", magnitude = 2.0 } } });
        Assert.Contains("magnitude", await bad.AssertProblemAsync(400), StringComparison.Ordinal);
        Assert.Equal("terse pirate engineer", (await client.GetJsonAsync("/v1/profile")).GetProperty("persona").GetProperty("voice").GetString());

        await client.PostJsonAsync("/v1/chat", new { message = "Describe small pull requests" });
        var system = model.Requests.Single()[0].Text;
        Assert.Contains("terse pirate engineer", system, StringComparison.Ordinal);
        Assert.Contains("Say arr.", system, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(server.Workspace.Root, "users", "dana", "identity.yaml")));
    }
}

[Trait("Category", "Integration")]
public sealed class VectorFillTests
{
    [Fact]
    public async Task An_upload_answers_before_its_vectors_and_the_server_fills_them_in_the_background()
    {
        await using var server = await TestServer.StartAsync(settings: new Dictionary<string, string?> { ["embeddings:model"] = "minilm" });
        var client = server.Client(server.CreateKey("k"));
        var body = new { documents = new[] { new { name = "retries.md", content = "# Busy servers\n\nWhen the upstream is overloaded the client waits, doubling the pause each time.\n" } } };
        var import = await client.PostJsonAsync("/v1/memory/import", body);
        Assert.Equal(1, import.GetProperty("files_imported").GetInt32());
        Assert.Equal(1, import.GetProperty("vectors_pending").GetInt64());

        // The text is searchable at once; its vector joins when the background fill has embedded it.
        var deadline = DateTime.UtcNow.AddMinutes(2);
        System.Text.Json.JsonElement hit;
        do
        {
            hit = (await client.GetJsonAsync("/v1/memory/search?q=doubling+pause")).GetProperty("hits")[0];
            if (hit.TryGetProperty("dense_score", out var dense) && dense.ValueKind == System.Text.Json.JsonValueKind.Number) break;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(System.Text.Json.JsonValueKind.Number, hit.GetProperty("dense_score").ValueKind);
        Assert.Equal(0, (await client.PostJsonAsync("/v1/memory/import", body)).GetProperty("vectors_pending").GetInt64());
    }
}
