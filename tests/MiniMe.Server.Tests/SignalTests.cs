using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Configuration;
using MiniMe.Identity;
using MiniMe.Server.Signals;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

/// <summary>The coherence formula of `minime signal` (<see cref="PrincipleCoherence"/>), on hand-computed cases.</summary>
public sealed class SignalCoherenceTests
{
    private static Principle P(string name, string description, double magnitude, params string[] tags) =>
        new() { Name = name, Description = description, Magnitude = magnitude, Tags = tags };

    [Fact]
    public void No_principles_score_zero_and_one_principle_scores_one()
    {
        Assert.Equal(new CoherenceParts(0, 0, 0), PrincipleCoherence.Compute([]));
        Assert.Equal(new CoherenceParts(1, 1, 1), PrincipleCoherence.Compute([P("Simplicity", "Choose the simplest design.", 0.3)]));
    }

    [Fact]
    public void Identical_principles_held_equally_are_fully_coherent()
    {
        var parts = PrincipleCoherence.Compute([P("Simplicity", "Remove what is not needed", 0.7), P("Simplicity", "Remove what is not needed", 0.7)]);
        Assert.Equal(new CoherenceParts(1, 1, 1), parts);
    }

    [Fact]
    public void Principles_sharing_no_word_have_no_overlap_and_the_score_is_half_their_consistency()
    {
        var parts = PrincipleCoherence.Compute([P("Simplicity", "Remove needless design", 0.8), P("Least privilege", "Grant minimum access", 0.8)]);
        Assert.Equal(new CoherenceParts(0.5, 1, 0), parts);
    }

    [Fact]
    public void Overlap_is_the_cosine_of_stemmed_term_counts_without_stop_words()
    {
        // terms: {test: 2, code: 1, change: 1} and {small: 2, test: 2, change: 1} ("every", "the" dropped; tested, tests: test)
        // cosine = (2·2 + 1·1) / (√6 · √9) = 0.6804; equal magnitudes: consistency 1; score (1 + 0.6804) / 2.
        var parts = PrincipleCoherence.Compute([P("Tested code", "Test every change", 0.6), P("Small tests", "Test the small change", 0.6)]);
        Assert.Equal(new CoherenceParts(0.84, 1, 0.68), parts);
    }

    [Fact]
    public void Consistency_falls_with_the_spread_of_magnitudes_and_overlap_is_weighted_by_them()
    {
        // Magnitudes 1, 1, 0: σ = 0.4714, consistency 0.057; only the pair of identical principles weighs: overlap 1.
        var parts = PrincipleCoherence.Compute([P("Observability", "Emit traces", 1), P("Observability", "Emit traces", 1), P("Migrations", "Reversible data", 0)]);
        Assert.Equal(new CoherenceParts(0.529, 0.057, 1), parts);

        // Magnitudes 0 and 1, nothing shared: consistency 0; no pair weighs, so pairs count equally: overlap 0.
        Assert.Equal(new CoherenceParts(0, 0, 0), PrincipleCoherence.Compute([P("Speed", "Fast builds", 0), P("Privacy", "Local data", 1)]));
    }

    [Fact]
    public void Tags_count_as_words_and_magnitudes_out_of_range_are_clamped()
    {
        var parts = PrincipleCoherence.Compute([P("Alpha", "", 1.7, "security"), P("Beta", "", 1, "security")]);
        // terms {alpha, security} and {beta, security}: cosine 1/2; magnitudes clamp to 1, 1: consistency 1.
        Assert.Equal(new CoherenceParts(0.75, 1, 0.5), parts);
    }
}

/// <summary>The SVG badge (<see cref="SignalBadge"/>): valid SVG, escaped text, the figures, byte-identical renders.</summary>
public sealed class SignalBadgeTests
{
    private static readonly XNamespace Svg = SignalBadge.SvgNamespace;

    internal static Signal Sample(string user = "nima", string domain = "backend") => new(
        user,
        new DateTimeOffset(2026, 11, 30, 17, 45, 12, TimeSpan.Zero),
        Documents: 12,
        Chunks: 345,
        DomainCount: 4,
        TopDomains: [new DomainSignal(domain, 7, 200), new DomainSignal("security", 3, 100), new DomainSignal("data", 2, 45)],
        Facts: 9,
        FactCategories: [new CategorySignal("preferences", 6), new CategorySignal("tools", 3)],
        Goals: new GoalSignal(Active: 3, Done: 2, Archived: 1, MeanProgress: 43.3, Overdue: 1),
        Activity: new ActivitySignal(Runs7Days: 5, Runs30Days: 17, Imports7Days: 2, Imports30Days: 8),
        Coherence: new CoherenceSignal(0.615, 0.9, 0.33, 6, PrincipleCoherence.Method));

    private static XDocument Parse(byte[] svg) => XDocument.Parse(Encoding.UTF8.GetString(svg));

    private static string Texts(XDocument document) => string.Join("\n", document.Descendants(Svg + "text").Select(t => t.Value));

    [Theory]
    [InlineData("card")]
    [InlineData("flat")]
    public void The_badge_is_an_svg_document_with_its_size_and_view_box(string style)
    {
        var svg = SignalBadge.Render(Sample(), SignalBadge.ParseStyle(style));
        var root = Parse(svg).Root!;
        Assert.Equal(Svg + "svg", root.Name);
        var width = int.Parse(root.Attribute("width")!.Value, CultureInfo.InvariantCulture);
        var height = int.Parse(root.Attribute("height")!.Value, CultureInfo.InvariantCulture);
        Assert.True(width > 0 && height > 0);
        Assert.Equal($"0 0 {width} {height}", root.Attribute("viewBox")!.Value);
        Assert.NotEqual(0xEF, svg[0]); // no byte order mark
        Assert.All(root.Descendants(), e => Assert.Equal(Svg, e.Name.Namespace));
    }

    [Fact]
    public void The_card_shows_the_signals_figures_and_its_as_of_date()
    {
        var document = Parse(SignalBadge.Render(Sample()));
        var texts = Texts(document);
        Assert.Contains("MiniMe signal · nima", texts, StringComparison.Ordinal);
        Assert.Contains("12 documents · 345 chunks · 4 domains", texts, StringComparison.Ordinal);
        Assert.Contains("backend (200) · security (100) · data (45)", texts, StringComparison.Ordinal);
        Assert.Contains("9 facts · 2 categories", texts, StringComparison.Ordinal);
        Assert.Contains("3 active · 2 done · 43% mean progress · 1 overdue", texts, StringComparison.Ordinal);
        Assert.Contains("5 runs in 7 days · 17 in 30 · 8 imports in 30", texts, StringComparison.Ordinal);
        Assert.Contains("0.62 over 6 principles (consistency 0.90, overlap 0.33)", texts, StringComparison.Ordinal);
        Assert.Contains("as of 2026-11-30", texts, StringComparison.Ordinal);
        Assert.Contains("12 documents", document.Root!.Element(Svg + "title")!.Value, StringComparison.Ordinal);

        var flat = Texts(Parse(SignalBadge.Render(Sample(), BadgeStyle.Flat)));
        Assert.Contains("12 docs · 9 facts · 3 goals · coherence 0.62", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void Markup_in_names_is_escaped_and_characters_xml_cannot_hold_are_dropped()
    {
        var svg = SignalBadge.Render(Sample(user: "a<b>&c", domain: "x<&>\"y\u0001"));
        var raw = Encoding.UTF8.GetString(svg);
        Assert.Contains("a&lt;b&gt;&amp;c", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", raw, StringComparison.Ordinal);
        var texts = Texts(Parse(svg));
        Assert.Contains("MiniMe signal · a<b>&c", texts, StringComparison.Ordinal);
        Assert.Contains("x<&>\"y (200)", texts, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_signal_renders_to_the_same_bytes()
    {
        Assert.Equal(SignalBadge.Render(Sample()), SignalBadge.Render(Sample()));
        Assert.Equal(SignalBadge.Render(Sample(), BadgeStyle.Flat), SignalBadge.Render(Sample(), BadgeStyle.Flat));
        Assert.NotEqual(SignalBadge.Render(Sample()), SignalBadge.Render(Sample() with { Facts = 10 }));
    }

    [Fact]
    public void The_width_follows_the_length_of_the_texts()
    {
        static int Width(Signal s) => int.Parse(Parse(SignalBadge.Render(s)).Root!.Attribute("width")!.Value, CultureInfo.InvariantCulture);
        Assert.True(Width(Sample(domain: "a-much-longer-domain-name")) > Width(Sample()));
        Assert.True(SignalBadge.TextWidth("mmmm") > SignalBadge.TextWidth("iiii"));
        Assert.True(SignalBadge.TextWidth("memory", bold: true) > SignalBadge.TextWidth("memory"));
    }

    [Fact]
    public void An_unknown_style_is_refused_with_the_known_ones()
    {
        var error = Assert.Throws<InvalidInputException>(() => SignalBadge.ParseStyle("round"));
        Assert.Contains("card, flat", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>`minime signal` and `minime badge` in-process over a seeded workspace.</summary>
public sealed class SignalCliTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _work = Directory.CreateTempSubdirectory("minime-signal-").FullName;

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(_home, Path.Combine(_work, "trust.json"), args);

    private static string InDays(int days) => DateOnly.FromDateTime(DateTime.Now).AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private async Task<(int Code, string Out, string Error)> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.Code == 0, $"{string.Join(' ', args)}: {result.Error}");
        return result;
    }

    /// <summary>init with embeddings off (lexical memory: no model to load) and two principles of known coherence.</summary>
    private async Task InitAsync()
    {
        await OkAsync("init", "--name", "nima");
        var config = Path.Combine(_home, "config.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("  model: minilm          #", "  model: none          #", StringComparison.Ordinal));
        var identity = Path.Combine(_home, "identity.yaml");
        var text = File.ReadAllText(identity);
        // Identical words (overlap 1), magnitudes 0.9 and 0.5 (σ = 0.2, consistency 0.6): coherence 0.8.
        File.WriteAllText(identity, text[..text.IndexOf("principles:", StringComparison.Ordinal)] + """
            principles:
              - name: Small steps
                description: Prefer small reversible changes.
                magnitude: 0.9
                scope: global
              - name: Small steps
                description: Prefer small reversible changes.
                magnitude: 0.5
                scope: global

            """);
    }

    private string Note(string name, string text)
    {
        var path = Path.Combine(_work, "notes", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private async Task<string> GoalAsync(params string[] args) =>
        JsonDocument.Parse((await OkAsync(["goals", "add", .. args, "--json"])).Out).RootElement.GetProperty("id").GetString()!;

    private async Task SeedAsync()
    {
        await InitAsync();
        await OkAsync("import", Note("retries.md", "# Retries\nRetry HTTP calls with exponential backoff and jitter.\n"), "--domain", "backend");
        await OkAsync("import", Note("pooling.md", "# Pooling\nReuse one HttpClient per host to keep connections pooled.\n"), "--domain", "backend");
        await OkAsync("import", Note("keys.md", "# Keys\nRotate signing keys every ninety days.\n"), "--domain", "security");

        await OkAsync("remember", "I prefer tabs over spaces", "--category", "preferences");
        await OkAsync("remember", "My morning drink is green tea", "--category", "preferences");
        await OkAsync("remember", "I edit code in neovim", "--category", "tools");
        var forgotten = JsonDocument.Parse((await OkAsync("remember", "I live in Lisbon", "--category", "places", "--json")).Out).RootElement;
        await OkAsync("facts", "forget", forgotten.GetProperty("fact").GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture), "--yes");

        var ship = await GoalAsync("Ship v2", "--deadline", InDays(10));
        await OkAsync("goals", "progress", ship, "40");
        var late = await GoalAsync("File taxes", "--deadline", InDays(-2));
        await OkAsync("goals", "progress", late, "80");
        await OkAsync("goals", "done", await GoalAsync("Learn Rust"));
        await OkAsync("goals", "archive", await GoalAsync("Run a marathon"));

        await OkAsync("ask", "--dry-run", "plan the retry policy");
    }

    [Fact]
    public async Task Signal_json_counts_domains_facts_goals_activity_and_coherence_of_the_workspace()
    {
        await SeedAsync();
        var signal = JsonDocument.Parse((await OkAsync("signal", "--json")).Out).RootElement;

        Assert.Equal("nima", signal.GetProperty("user").GetString());
        Assert.Equal((3, 3, 2), (signal.GetProperty("documents").GetInt32(), signal.GetProperty("chunks").GetInt32(), signal.GetProperty("domain_count").GetInt32()));
        Assert.Equal([("backend", 2, 2), ("security", 1, 1)], signal.GetProperty("top_domains").EnumerateArray()
            .Select(d => (d.GetProperty("domain").GetString(), d.GetProperty("documents").GetInt32(), d.GetProperty("chunks").GetInt32())));
        Assert.Equal(3, signal.GetProperty("facts").GetInt32());
        Assert.Equal([("preferences", 2), ("tools", 1)], signal.GetProperty("fact_categories").EnumerateArray()
            .Select(c => (c.GetProperty("category").GetString(), c.GetProperty("facts").GetInt32())));

        var goals = signal.GetProperty("goals");
        Assert.Equal((2, 1, 1, 60.0, 1), (goals.GetProperty("active").GetInt32(), goals.GetProperty("done").GetInt32(),
            goals.GetProperty("archived").GetInt32(), goals.GetProperty("mean_progress").GetDouble(), goals.GetProperty("overdue").GetInt32()));

        var activity = signal.GetProperty("activity");
        Assert.Equal((1, 1, 3, 3), (activity.GetProperty("runs_7d").GetInt32(), activity.GetProperty("runs_30d").GetInt32(),
            activity.GetProperty("imports_7d").GetInt32(), activity.GetProperty("imports_30d").GetInt32()));

        var coherence = signal.GetProperty("coherence");
        Assert.Equal((0.8, 0.6, 1.0, 2), (coherence.GetProperty("score").GetDouble(), coherence.GetProperty("consistency").GetDouble(),
            coherence.GetProperty("overlap").GetDouble(), coherence.GetProperty("principles").GetInt32()));

        var text = await OkAsync("signal");
        Assert.Contains("3 documents · 3 chunks · 2 domains", text.Out, StringComparison.Ordinal);
        Assert.Contains("0.80 over 2 principles", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Badge_out_writes_an_svg_of_the_workspaces_signal()
    {
        await SeedAsync();
        var file = Path.Combine(_work, "out", "badge.svg");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var written = await OkAsync("badge", "--out", file);
        Assert.Contains(file, written.Out, StringComparison.Ordinal);

        var svg = XDocument.Load(file);
        Assert.Equal(XName.Get("svg", SignalBadge.SvgNamespace), svg.Root!.Name);
        var texts = string.Join("\n", svg.Descendants(XName.Get("text", SignalBadge.SvgNamespace)).Select(t => t.Value));
        Assert.Contains("3 documents · 3 chunks · 2 domains", texts, StringComparison.Ordinal);
        Assert.Contains("backend (2) · security (1)", texts, StringComparison.Ordinal);
        Assert.Contains("2 active · 1 done · 60% mean progress · 1 overdue", texts, StringComparison.Ordinal);

        var flat = Path.Combine(_work, "out", "flat.svg");
        await OkAsync("badge", "-o", flat, "--style", "flat");
        Assert.Equal("20", XDocument.Load(flat).Root!.Attribute("height")!.Value);
    }

    [Fact]
    public async Task Badge_refuses_a_missing_folder_a_folder_and_an_unknown_style_in_one_line()
    {
        await InitAsync();
        var missing = await RunAsync("badge", "--out", Path.Combine(_work, "no-such-folder", "badge.svg"));
        Assert.Equal(2, missing.Code);
        Assert.Equal($"error: The folder {Path.Combine(_work, "no-such-folder")} for --out does not exist; create it or write the badge elsewhere.", missing.Error.Trim());

        var folder = await RunAsync("badge", "--out", _work);
        Assert.Equal(2, folder.Code);
        Assert.Single(folder.Error.Trim().Split('\n'));
        Assert.Contains("is a folder", folder.Error, StringComparison.Ordinal);

        var style = await RunAsync("badge", "--out", Path.Combine(_work, "b.svg"), "--style", "round");
        Assert.Equal(2, style.Code);
        Assert.Contains("Badge style 'round' is not one of card, flat.", style.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_work, "b.svg")));
    }

    [Fact]
    public async Task Signal_publish_badge_is_read_from_config_yaml_and_a_misspelt_key_is_refused()
    {
        await InitAsync();
        var config = Path.Combine(_home, "config.yaml");
        var original = File.ReadAllText(config);
        Assert.False(SignalOptions.Load(new Workspace(_home)).PublishBadge);

        File.WriteAllText(config, original + "\nsignal:\n  publishBadge: true\n");
        Assert.True(SignalOptions.Load(new Workspace(_home)).PublishBadge);
        await OkAsync("signal"); // the key table knows signal.publishBadge

        File.WriteAllText(config, original + "\nsignal:\n  publishBadges: true\n");
        var refused = await RunAsync("signal");
        Assert.Equal(2, refused.Code);
        Assert.Contains("signal.publishBadges", refused.Error, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var dir in new[] { _home, _work })
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>GET /v1/signal and /v1/badge.svg on real Kestrel: behind the API key, the badge public only with signal.publishBadge.</summary>
[Trait("Category", "Integration")]
public sealed class SignalApiTests
{
    [Fact]
    public async Task Signal_and_badge_need_an_api_key_and_answer_for_the_keys_user()
    {
        await using var server = await TestServer.StartAsync();
        var anonymous = server.Client();
        await (await anonymous.GetAsync("/v1/signal")).AssertProblemAsync(401);
        using var unpublished = await anonymous.GetAsync("/v1/badge.svg");
        Assert.Contains("signal.publishBadge: true", await unpublished.AssertProblemAsync(401), StringComparison.Ordinal);
        Assert.Equal("Bearer", unpublished.Headers.WwwAuthenticate.Single().Scheme);

        var owner = server.Client(server.CreateKey("k"));
        await owner.PostJsonAsync("/v1/goals", new { title = "Ship v2", progress = 30 });
        await owner.PostJsonAsync("/v1/memory/facts", new { text = "I prefer tabs over spaces", category = "preferences" });

        var signal = await owner.GetJsonAsync("/v1/signal");
        Assert.Equal(TestServer.Owner, signal.GetProperty("user").GetString());
        Assert.Equal((1, 30.0), (signal.GetProperty("goals").GetProperty("active").GetInt32(), signal.GetProperty("goals").GetProperty("mean_progress").GetDouble()));
        Assert.Equal(1, signal.GetProperty("facts").GetInt32());
        Assert.Equal(6, signal.GetProperty("coherence").GetProperty("principles").GetInt32()); // the default identity.yaml

        using var badge = await owner.GetAsync("/v1/badge.svg");
        Assert.Equal(HttpStatusCode.OK, badge.StatusCode);
        Assert.Equal("image/svg+xml", badge.Content.Headers.ContentType?.MediaType);
        var svg = XDocument.Parse(await badge.Content.ReadAsStringAsync());
        Assert.Equal(XName.Get("svg", SignalBadge.SvgNamespace), svg.Root!.Name);
        Assert.Contains("1 active · 0 done · 30% mean progress", svg.Root.Value, StringComparison.Ordinal);

        using var flat = await owner.GetAsync("/v1/badge.svg?style=flat");
        Assert.Equal("20", XDocument.Parse(await flat.Content.ReadAsStringAsync()).Root!.Attribute("height")!.Value);
        await (await owner.GetAsync("/v1/badge.svg?style=round")).AssertProblemAsync(400);

        // Another user's key: their own (empty) signal.
        var bob = server.Client(server.CreateKey("b", "bob"));
        var bobs = await bob.GetJsonAsync("/v1/signal");
        Assert.Equal(("bob", 0, 0), (bobs.GetProperty("user").GetString(), bobs.GetProperty("goals").GetProperty("active").GetInt32(), bobs.GetProperty("facts").GetInt32()));
    }

    [Fact]
    public async Task A_published_badge_answers_without_a_key_with_the_owners_signal_and_the_json_stays_behind_the_key()
    {
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton(new SignalOptions { PublishBadge = true }));
        var owner = server.Client(server.CreateKey("k"));
        await owner.PostJsonAsync("/v1/goals", new { title = "Ship v2", progress = 50 });

        var anonymous = server.Client();
        using var badge = await anonymous.GetAsync("/v1/badge.svg");
        Assert.Equal(HttpStatusCode.OK, badge.StatusCode);
        var svg = XDocument.Parse(await badge.Content.ReadAsStringAsync());
        Assert.Contains($"MiniMe signal · {TestServer.Owner}", svg.Root!.Value, StringComparison.Ordinal);
        Assert.Contains("1 active · 0 done · 50% mean progress", svg.Root.Value, StringComparison.Ordinal);
        await (await anonymous.GetAsync("/v1/signal")).AssertProblemAsync(401);

        // A key that is sent must be valid; a valid one gets its own user's badge.
        var wrong = server.Client();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "mm_not_a_key");
        Assert.Contains("not valid", await (await wrong.GetAsync("/v1/badge.svg")).AssertProblemAsync(401), StringComparison.Ordinal);
        var bob = server.Client(server.CreateKey("b", "bob"));
        using var bobs = await bob.GetAsync("/v1/badge.svg");
        Assert.Contains("MiniMe signal · bob", XDocument.Parse(await bobs.Content.ReadAsStringAsync()).Root!.Value, StringComparison.Ordinal);
    }
}

/// <summary>`minime serve` as a real process reads signal.publishBadge from config.yaml.</summary>
[Trait("Category", "Integration")]
public sealed class SignalServeTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "minime-signal-serve", Guid.NewGuid().ToString("N"));

    private string Home => Path.Combine(_root, ".minime");

    private Dictionary<string, string> Environment() => new()
    {
        ["MINIME_TRUST_FILE"] = Path.Combine(_root, "trust.json"),
        ["MINIME_EMBEDDINGS__MODEL"] = "none",
    };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        await ServeProcess.RunAsync(["init", "--home", Home, "--name", "nima"], Environment());
    }

    public Task DisposeAsync()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Serve_publishes_the_owners_badge_when_config_yaml_says_so()
    {
        File.AppendAllText(Path.Combine(Home, "config.yaml"), "\nsignal:\n  publishBadge: true\n");
        await using var serve = await ServeProcess.StartServeAsync(Home, Environment());
        using var client = new HttpClient { BaseAddress = serve.BaseAddress };

        using var badge = await client.GetAsync("/v1/badge.svg");
        Assert.Equal(HttpStatusCode.OK, badge.StatusCode);
        Assert.Equal(SignalBadge.ContentType, badge.Content.Headers.ContentType?.MediaType);
        var svg = XDocument.Parse(await badge.Content.ReadAsStringAsync());
        Assert.Contains("MiniMe signal · nima", svg.Root!.Value, StringComparison.Ordinal);
        await (await client.GetAsync("/v1/signal")).AssertProblemAsync(401);
    }
}
