using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Server.Profiles;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

/// <summary>
/// PUT /v1/profile on real Kestrel: what it refuses (and then leaves untouched), what it keeps for undo,
/// the comments it carries over, and `minime profile` in-process over the same workspace.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProfileUndoTests
{
    private const string DefaultVoice = "calm, direct, pragmatic engineer";
    private const int DefaultPrinciples = 6;

    private static string HistoryDirectory(TestServer server) => Path.Combine(server.Workspace.Root, ProfileService.HistoryFolder);

    private static string[] Kept(TestServer server) =>
        Directory.Exists(HistoryDirectory(server)) ? Directory.GetFiles(HistoryDirectory(server), "*.yaml") : [];

    private static Task<(int Code, string Out, string Error)> CliAsync(TestServer server, params string[] args) =>
        CliRun.RunAsync(server.Workspace.Root, server.TrustFile, args);

    private static async Task<JsonElement> CliJsonAsync(TestServer server, params string[] args)
    {
        var (code, output, error) = await CliAsync(server, args);
        Assert.True(code == 0, $"minime {string.Join(' ', args)}: exit {code}: {error}");
        return JsonDocument.Parse(output).RootElement;
    }

    private static async Task PutAsync(HttpClient client, object body)
    {
        using var put = await client.PutAsJsonAsync("/v1/profile", body);
        Assert.True(put.IsSuccessStatusCode, $"PUT /v1/profile: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
    }

    /// <summary>Asserts a 400 whose detail and "errors" name every one of <paramref name="expected"/>, and that identity.yaml is as it was with nothing kept.</summary>
    private static async Task AssertRefusedAsync(TestServer server, HttpClient client, string body, params string[] expected)
    {
        var before = await File.ReadAllTextAsync(server.Workspace.IdentityPath);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var put = await client.PutAsync("/v1/profile", content);
        var raw = await put.Content.ReadAsStringAsync();
        var detail = await put.AssertProblemAsync(400);
        var errors = JsonDocument.Parse(raw).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(expected.Length, errors.Count);
        foreach (var what in expected)
        {
            Assert.Contains(what, detail, StringComparison.Ordinal);
            Assert.Contains(errors, e => e.Contains(what, StringComparison.Ordinal));
        }
        Assert.Equal(before, await File.ReadAllTextAsync(server.Workspace.IdentityPath));
        Assert.Empty(Kept(server));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t \t")]
    public async Task A_blank_voice_is_refused_with_the_field_named(string voice)
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));

        await AssertRefusedAsync(server, client, JsonSerializer.Serialize(new { persona = new { voice } }), "persona.voice is empty");

        Assert.Equal(DefaultVoice, (await client.GetJsonAsync("/v1/profile")).GetProperty("persona").GetProperty("voice").GetString());
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(-0.1)]
    [InlineData(100)]
    public async Task A_magnitude_outside_0_to_1_is_refused_with_the_principle_named(double magnitude)
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));

        await AssertRefusedAsync(server, client,
            JsonSerializer.Serialize(new { principles = new[] { new { name = "Too much", description = "d", magnitude } } }),
            $"principle #1 ('Too much'): magnitude {magnitude.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not from 0 to 1");
    }

    [Fact]
    public async Task Every_problem_is_listed_at_once()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));

        await AssertRefusedAsync(server, client, """
            {"persona": {"voice": "ok", "tone": " ", "style_rules": ["fine", ""]},
             "principles": [{"name": "A", "description": "d", "magnitude": 2}, {"name": "a", "description": "d"}, {"name": "B", "description": "d", "scope": "domain"}]}
            """,
            "persona.tone is empty", "persona.style_rules #2 is empty", "magnitude 2 is not from 0 to 1", "the name is used by another principle", "a domain principle needs a target");
    }

    [Fact]
    public async Task Unknown_members_are_refused_each_named_with_the_members_there_are()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));

        // A misspelt member would otherwise be dropped and the old value kept, as if the update had worked.
        await AssertRefusedAsync(server, client, """
            {"persona": {"voise": "pirate", "tone": "salty"}, "principals": [], "principles": [{"name": "A", "description": "d", "weight": 0.5}]}
            """,
            "Unknown member 'persona.voise'; the members are voice, tone, style_rules, values",
            "Unknown member 'principals'",
            "Unknown member 'principles[0].weight'");
    }

    [Fact]
    public async Task A_member_of_the_wrong_type_is_refused_with_where_it_is()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));

        await AssertRefusedAsync(server, client, """{"principles": [{"name": "A", "description": "d", "magnitude": "high"}]}""",
            "principles[0].magnitude has the wrong type");
    }

    [Fact]
    public async Task A_profile_read_with_get_can_be_put_back_changed()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var profile = JsonNode.Parse((await client.GetJsonAsync("/v1/profile")).GetRawText())!.AsObject();
        Assert.Equal(TestServer.Owner, profile["user_id"]!.GetValue<string>());
        profile["persona"]!["voice"] = "patient gardener";

        await PutAsync(client, profile);

        var saved = await client.GetJsonAsync("/v1/profile");
        Assert.Equal("patient gardener", saved.GetProperty("persona").GetProperty("voice").GetString());
        Assert.Equal(profile["principles"]!.AsArray().Count, saved.GetProperty("principles").GetArrayLength());
    }

    [Fact]
    public async Task A_valid_put_keeps_the_replaced_identity_and_minime_profile_undo_restores_it_byte_for_byte()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var original = await File.ReadAllTextAsync(server.Workspace.IdentityPath);

        await PutAsync(client, new { persona = new { voice = "terse pirate engineer" }, principles = Array.Empty<object>() });

        Assert.Equal(original, await File.ReadAllTextAsync(Assert.Single(Kept(server))));
        Assert.DoesNotContain(DefaultVoice, await File.ReadAllTextAsync(server.Workspace.IdentityPath), StringComparison.Ordinal);
        var shown = await CliJsonAsync(server, "profile", "show", "--json");
        Assert.Equal("terse pirate engineer", shown.GetProperty("persona").GetProperty("voice").GetString());
        Assert.Equal(0, shown.GetProperty("principles").GetArrayLength());
        var history = await CliJsonAsync(server, "profile", "history", "--json");
        var kept = Assert.Single(history.EnumerateArray());
        Assert.Equal(DefaultVoice, kept.GetProperty("voice").GetString());
        Assert.Equal(DefaultPrinciples, kept.GetProperty("principles").GetInt32());
        Assert.Equal(kept.GetProperty("id").GetString(), Assert.Single((await client.GetJsonAsync("/v1/profile/history")).EnumerateArray()).GetProperty("id").GetString());

        var undone = await CliJsonAsync(server, "profile", "undo", "--json");

        Assert.Equal(DefaultVoice, undone.GetProperty("persona").GetProperty("voice").GetString());
        Assert.Equal(original, await File.ReadAllTextAsync(server.Workspace.IdentityPath));
        Assert.Empty(Kept(server));
        Assert.Empty((await CliJsonAsync(server, "profile", "history", "--json")).EnumerateArray());
        var profile = await client.GetJsonAsync("/v1/profile");
        Assert.Equal(DefaultVoice, profile.GetProperty("persona").GetProperty("voice").GetString());
        Assert.Equal(DefaultPrinciples, profile.GetProperty("principles").GetArrayLength());

        var (code, output, error) = await CliAsync(server, "profile", "undo");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.StartsWith("error: There is no earlier profile to go back to", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task The_api_undo_goes_back_one_version_at_a_time_then_answers_409()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var original = await File.ReadAllTextAsync(server.Workspace.IdentityPath);
        await PutAsync(client, new { persona = new { voice = "first voice" } });
        var first = await File.ReadAllTextAsync(server.Workspace.IdentityPath);
        await PutAsync(client, new { persona = new { voice = "second voice" } });
        Assert.Equal(2, Kept(server).Length);
        Assert.Equal(["first voice", DefaultVoice], (await client.GetJsonAsync("/v1/profile/history")).EnumerateArray().Select(v => v.GetProperty("voice").GetString()));

        Assert.Equal("first voice", (await client.PostJsonAsync("/v1/profile/undo", new { })).GetProperty("persona").GetProperty("voice").GetString());
        Assert.Equal(first, await File.ReadAllTextAsync(server.Workspace.IdentityPath));
        Assert.Equal(DefaultVoice, (await client.PostJsonAsync("/v1/profile/undo", new { })).GetProperty("persona").GetProperty("voice").GetString());
        Assert.Equal(original, await File.ReadAllTextAsync(server.Workspace.IdentityPath));

        using var none = await client.PostAsJsonAsync("/v1/profile/undo", new { });
        Assert.Contains("no earlier profile", await none.AssertProblemAsync(409), StringComparison.Ordinal);
        Assert.Equal(original, await File.ReadAllTextAsync(server.Workspace.IdentityPath));
    }

    [Fact]
    public async Task Comments_in_identity_yaml_survive_a_put_in_their_places()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var handWritten = """
            # My identity, kept by hand.
            # Do not remove the Simplicity principle.

            # How MiniMe speaks.
            persona:
              # The voice I settled on after a week.
              voice: calm engineer
              tone: plain
              # One rule per line.
              styleRules:
                - Lead with the answer.

            principles:
              # The first one, always.
              - name: Simplicity
                description: Keep it simple.
                magnitude: 0.9
                scope: global
            """;
        await File.WriteAllTextAsync(server.Workspace.IdentityPath, handWritten);

        await PutAsync(client, new
        {
            persona = new { voice = "careful archivist", style_rules = new[] { "Lead with the answer.", "Name the source" } },
            principles = new object[]
            {
                new { name = "Simplicity", description = "Keep it simpler.", magnitude = 0.8 },
                new { name = "Provenance", description = "Say where a fact came from.", magnitude = 0.6 },
            },
        });

        var lines = (await File.ReadAllTextAsync(server.Workspace.IdentityPath)).Split('\n');
        Assert.Equal(["# My identity, kept by hand.", "# Do not remove the Simplicity principle."], lines[..2]);
        AssertAbove(lines, "# How MiniMe speaks.", "persona:");
        AssertAbove(lines, "  # The voice I settled on after a week.", "  voice: careful archivist");
        AssertAbove(lines, "  # One rule per line.", "  styleRules:");
        AssertAbove(lines, "  # The first one, always.", "  - name: Simplicity");
        var profile = await client.GetJsonAsync("/v1/profile");
        Assert.Equal(["Lead with the answer.", "Name the source"], profile.GetProperty("persona").GetProperty("style_rules").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(0.8, profile.GetProperty("principles")[0].GetProperty("magnitude").GetDouble());

        await client.PostJsonAsync("/v1/profile/undo", new { });
        Assert.Equal(handWritten, await File.ReadAllTextAsync(server.Workspace.IdentityPath));
    }

    private static void AssertAbove(string[] lines, string comment, string line)
    {
        var at = Array.IndexOf(lines, line);
        Assert.True(at > 0, $"no line '{line}' in:\n{string.Join('\n', lines)}");
        Assert.Equal(comment, lines[at - 1]);
    }

    [Fact]
    public async Task Style_rules_without_a_final_full_stop_are_terminated_in_the_prompt()
    {
        var model = new ScriptedChatClient().Enqueue("Noted.");
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        await PutAsync(client, new { persona = new { style_rules = new[] { "Use short sentences", "Prefer lists!", "Cite the source.", "Ask when unsure?" } } });

        await client.PostJsonAsync("/v1/chat", new { message = "How should I name branches?" });

        var system = model.Requests.Single()[0].Text;
        Assert.Contains("\nStyle: Use short sentences. Prefer lists! Cite the source. Ask when unsure?\n", system + "\n", StringComparison.Ordinal);
        Assert.Contains($"as a {DefaultVoice}. Tone: plain and precise.", system, StringComparison.Ordinal);
    }
}
