using System.Text.Json;
using Microsoft.Playwright;
using MiniMe.Server.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace MiniMe.Server.Tests;

/// <summary>
/// The personal layer's web UI in real chromium against the real server: phone and desktop layouts,
/// both themes, chat controls (sources, stop, regenerate, copy, rename, delete), starting a task and
/// approving its diffs, goals, packs and the persona editor. Screenshots go to artifacts/screenshots.
/// </summary>
[Trait("Category", "Browser")]
public sealed class BrowserPersonalLayerTests
{
    private static readonly string[] Pages = ["chat", "ask", "goals", "memory", "packs", "runs", "reflect", "proposals", "profile"];

    [ChromiumFact]
    public async Task On_a_phone_every_page_fits_the_screen_the_menu_and_sidebar_fold_and_the_theme_follows_the_system_until_toggled()
    {
        var model = new ScriptedChatClient().Enqueue("Deploy with **helm**.");
        await using var server = await TestServer.StartAsync(model);
        var key = server.CreateKey("phone");
        await using var ui = await Ui.OpenAsync(server, key, new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
            HasTouch = true,
            ColorScheme = ColorScheme.Dark,
        });
        var page = ui.Page;

        // The system says dark: the page is dark without any choice made.
        Assert.Equal("rgb(21, 24, 28)", await BackgroundAsync(page));

        // The nav is folded into the menu button; opening it shows the links, choosing one closes it.
        await Expect(page.Locator("[data-testid=menu-toggle]")).ToBeVisibleAsync();
        await Expect(page.Locator("nav a[data-nav=goals]")).ToBeHiddenAsync();
        await page.ClickAsync("[data-testid=menu-toggle]");
        await Expect(page.Locator("nav a[data-nav=goals]")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("phone-menu") });
        await page.ClickAsync("nav a[data-nav=chat]");
        await Expect(page.Locator("nav a[data-nav=goals]")).ToBeHiddenAsync();

        // Chat: the conversation list is a drawer; the message box takes the width.
        await Expect(page.Locator("[data-testid=conversations]")).ToBeHiddenAsync();
        var box = await page.Locator("[data-testid=chat-input]").BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.True(box.Width > 250, $"the message box is {box.Width}px wide on a 390px screen");
        await page.FillAsync("[data-testid=chat-input]", "How do we deploy?");
        await page.ClickAsync("[data-testid=chat-send]");
        await Expect(page.Locator("[data-testid=message-assistant] strong")).ToHaveTextAsync("helm");
        await Expect(page.Locator("[data-testid=copy]")).ToBeVisibleAsync();
        await page.ClickAsync("[data-testid=sidebar-toggle]");
        await Expect(page.Locator("[data-testid=conversation]")).ToHaveCountAsync(1);
        await AssertFitsAsync(page, "chat");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("phone-chat-dark") });

        // The toggle picks light over the system's dark, and the choice survives a reload.
        await page.ClickAsync("[data-testid=theme-toggle]");
        Assert.Equal("rgb(247, 247, 245)", await BackgroundAsync(page));
        await page.ReloadAsync();
        await Expect(page.Locator("#who")).ToContainTextAsync("owner");
        Assert.Equal("rgb(247, 247, 245)", await BackgroundAsync(page));

        foreach (var name in Pages)
        {
            await page.GotoAsync($"{server.BaseAddress}#/{name}");
            await Expect(page.Locator("main h1, main [data-testid=chat-input]").First).ToBeVisibleAsync();
            await AssertFitsAsync(page, name);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath($"phone-{name}"), FullPage = true });
        }
        ui.AssertNoProblems();
    }

    [ChromiumFact]
    public async Task A_chat_answer_shows_its_sources_and_can_be_copied_regenerated_stopped_renamed_and_deleted()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new ScriptedChatClient()
            .Enqueue("We deploy with helm charts.")
            .Enqueue("Again: helm upgrade, then helm rollback if needed.")
            .Enqueue(new ScriptedAnswer(["Let me think", " about it for a long time"]) { GateAfterFirstToken = gate });
        await using var server = await TestServer.StartAsync(model);
        var key = server.CreateKey("desktop");
        var api = server.Client(key);
        await api.PostJsonAsync("/v1/memory/import", new { documents = new[] { new { name = "deploy.md", content = "# Deploying\n\nWe deploy with helm charts; helm rollback undoes a release.\n" } } });
        await using var ui = await Ui.OpenAsync(server, key, new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        var page = ui.Page;

        await page.FillAsync("[data-testid=chat-input]", "How do we deploy with helm?");
        await page.ClickAsync("[data-testid=chat-send]");
        var first = page.Locator("[data-testid=message-assistant]").Last;
        await Expect(first.Locator(".body")).ToHaveTextAsync("We deploy with helm charts.");

        // Sources: the memory chunk the context kept, under the answer.
        await first.Locator("[data-testid=sources] summary").ClickAsync();
        await Expect(first.Locator("[data-testid=source]")).ToHaveCountAsync(1);
        await Expect(first.Locator("[data-testid=source]")).ToContainTextAsync("deploy.md");
        // Usage without a price reads "N tokens · trace", never with an empty cost between.
        var meta = await first.Locator(".meta").InnerTextAsync();
        Assert.Matches(@"^\d+ tokens · trace$", meta.Trim());

        await first.Locator("[data-testid=copy]").ClickAsync();
        await Expect(first.Locator("[data-testid=copy]")).ToHaveTextAsync("Copied");
        Assert.Equal("We deploy with helm charts.", await page.EvaluateAsync<string>("navigator.clipboard.readText()"));

        // Regenerate: the same question again, a second answer.
        await first.Locator("[data-testid=regenerate]").ClickAsync();
        await Expect(page.Locator("[data-testid=message-assistant]")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-testid=message-assistant]").Last.Locator(".body")).ToContainTextAsync("helm upgrade");
        var asked = model.Requests.Select(r => r.Last().Text).ToList();
        Assert.Equal(["How do we deploy with helm?", "How do we deploy with helm?"], asked);

        // Stop: the answer streaming now ends where it is; the run is traced as cancelled.
        await page.FillAsync("[data-testid=chat-input]", "Think hard about it");
        await page.ClickAsync("[data-testid=chat-send]");
        var third = page.Locator("[data-testid=message-assistant]").Last;
        await Expect(third.Locator(".body")).ToHaveTextAsync("Let me think");
        await page.ClickAsync("[data-testid=chat-stop]");
        await Expect(third.Locator("[data-testid=stopped]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=chat-stop]")).ToBeHiddenAsync();
        await model.StreamCancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var statuses = await WaitForAsync(async () =>
        {
            var runs = await api.GetJsonAsync("/v1/runs");
            var all = runs.EnumerateArray().Select(r => r.GetProperty("status").GetString()).ToList();
            return all.Contains("cancelled") ? all : null;
        });
        Assert.Equal(2, statuses.Count(s => s == "completed"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("chat-controls"), FullPage = true });

        // Reloaded, the answers still show their sources (read from the run's trace).
        await page.ReloadAsync();
        var reloaded = page.Locator("[data-testid=message-assistant]").First;
        await reloaded.Locator("[data-testid=sources] summary").ClickAsync();
        await Expect(reloaded.Locator("[data-testid=source]")).ToContainTextAsync("deploy.md");

        // A chat run's trace has no agent-routing chart (no team ran).
        await reloaded.Locator("[data-testid=trace-link]").ClickAsync();
        await Expect(page.Locator("[data-testid=mask-chart]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=routing-chart]")).ToHaveCountAsync(0);
        await page.GoBackAsync();

        // Rename, then delete, from the conversation list.
        page.Dialog += async (_, dialog) =>
        {
            if (dialog.Type == "prompt") await dialog.AcceptAsync("Helm deployments");
            else await dialog.AcceptAsync();
        };
        var conversation = page.Locator("[data-testid=conversation]");
        await conversation.HoverAsync();
        await conversation.Locator("[data-testid=rename-conversation]").ClickAsync();
        await Expect(conversation.Locator(".title")).ToHaveTextAsync("Helm deployments");
        var listed = await api.GetJsonAsync("/v1/conversations");
        Assert.Equal("Helm deployments", listed[0].GetProperty("title").GetString());
        await conversation.HoverAsync();
        await conversation.Locator("[data-testid=delete-conversation]").ClickAsync();
        await Expect(page.Locator("[data-testid=conversation]")).ToHaveCountAsync(0);
        Assert.Equal(0, (await api.GetJsonAsync("/v1/conversations")).GetArrayLength());
        ui.AssertNoProblems();
    }

    [ChromiumFact]
    public async Task A_task_started_from_the_ui_shows_its_proposals_and_they_are_decided_there()
    {
        await using var server = await TestServer.StartAsync(new ScriptedChatClient(), services: s => s.AddAskService());
        var key = server.CreateKey("task");
        await using var ui = await Ui.OpenAsync(server, key, new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });
        var page = ui.Page;

        await page.ClickAsync("nav a[data-nav=ask]");
        await page.FillAsync("[data-testid=ask-input]", "document the health check and run the tests");
        await page.ClickAsync("[data-testid=ask-start]");
        await Expect(page.Locator("[data-testid=ask-status]")).ToBeVisibleAsync();
        var proposals = page.Locator("[data-testid=proposal]");
        await Expect(proposals).ToHaveCountAsync(2);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("ask"), FullPage = true });

        await proposals.Nth(1).Locator("[data-testid=reject-reason]").FillAsync("not now");
        await proposals.Nth(1).Locator("[data-testid=reject]").ClickAsync();
        await Expect(proposals).ToHaveCountAsync(1);
        await proposals.First.Locator("[data-testid=approve]").ClickAsync();
        await Expect(page.Locator("[data-testid=ask-no-proposals]")).ToBeVisibleAsync();
        var decided = await server.Client(key).GetJsonAsync("/v1/proposals?status=rejected");
        Assert.Contains("not now", decided[0].GetProperty("note").GetString());
        ui.AssertNoProblems();
    }

    [ChromiumFact]
    public async Task An_approved_command_shows_its_exit_code_stdout_and_stderr_under_the_decided_proposal()
    {
        var model = new MiniMe.Testing.ScriptedChatClient
        {
            Responder = call => MiniMe.Testing.AgentReplies.For(MiniMe.Testing.AgentReplies.AgentOf(call.SystemText),
                integration: """{"summary":"Run the checks.","proposals":[{"tool":"run_command","arguments":{"argv":["sh","scripts/check.sh"]},"rationale":"see what fails"}]}"""),
        };
        await using var server = await TestServer.StartAsync(model, configure: o => o.Tools.Sandbox = MiniMe.Configuration.SandboxMode.None);
        await File.WriteAllTextAsync(server.Workspace.AllowlistPath, "read:\n  include: [\"**\"]\ncommands:\n  - program: sh\n    args: [\"scripts/check.sh\"]\n");
        Directory.CreateDirectory(Path.Combine(server.Root, "scripts"));
        await File.WriteAllTextAsync(Path.Combine(server.Root, "scripts", "check.sh"), "echo 'tests: 11 passed'\necho 'error: 1 failed' >&2\nexit 3\n");
        var options = MiniMe.Configuration.ConfigurationLoader.Load(server.Workspace);
        options.Tools.Sandbox = MiniMe.Configuration.SandboxMode.None;
        MiniMe.Tools.Trust.WorkspaceTrust.Record(new MiniMe.Tools.Trust.TrustStore(server.TrustFile), server.Workspace, options, MiniMe.Tools.Trust.TrustSource.User, DateTimeOffset.UtcNow);
        var key = server.CreateKey("task");
        await using var ui = await Ui.OpenAsync(server, key, new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });
        var page = ui.Page;

        await page.ClickAsync("nav a[data-nav=ask]");
        await page.FillAsync("[data-testid=ask-input]", MiniMe.Testing.AgentReplies.TeamTask);
        await page.ClickAsync("[data-testid=ask-start]");
        var proposal = page.Locator("[data-testid=proposal]");
        await Expect(proposal).ToHaveCountAsync(1);
        await proposal.Locator("[data-testid=approve]").ClickAsync();

        var decided = page.Locator("[data-testid=decided]");
        await Expect(decided).ToHaveCountAsync(1);
        await Expect(decided.Locator("[data-testid=command-exit]")).ToHaveTextAsync("exit 3");
        await Expect(decided.Locator("pre[data-testid=command-stdout]")).ToHaveTextAsync("tests: 11 passed\n");
        await Expect(decided.Locator("pre[data-testid=command-stderr]")).ToHaveTextAsync("error: 1 failed\n");
        await Expect(page.Locator("[data-testid=ask-no-proposals]")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("ask-command-output"), FullPage = true });

        // The run's trace viewer shows what the execution event kept.
        await page.ClickAsync("[data-testid=ask-trace]");
        await Expect(page.Locator("[data-testid=trace-event] pre[data-testid=command-stderr]")).ToHaveTextAsync("error: 1 failed\n");
        await Expect(page.Locator("[data-testid=trace-event] [data-testid=command-exit]")).ToHaveTextAsync("exit 3");
        ui.AssertNoProblems();
    }

    [ChromiumFact]
    public async Task Goals_and_packs_work_from_the_ui()
    {
        await using var server = await TestServer.StartAsync(new ScriptedChatClient().Enqueue(
            """{"suggestions":[{"action":"Write the rollback runbook","why":"the milestone is open","milestone_id":null}]}"""));
        var key = server.CreateKey("personal");
        var api = server.Client(key);
        await using var ui = await Ui.OpenAsync(server, key, new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });
        var page = ui.Page;

        // Goals: one due in three days raises the alert banner; milestones and progress are kept.
        await page.ClickAsync("nav a[data-nav=goals]");
        await Expect(page.Locator("[data-testid=no-goals]")).ToBeVisibleAsync();
        await page.FillAsync("[data-testid=goal-title]", "Ship the helm migration");
        await page.FillAsync("[data-testid=goal-deadline]", DateTime.Today.AddDays(3).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.ClickAsync("[data-testid=goal-add]");
        var goal = page.Locator("[data-testid=goal]");
        await Expect(goal).ToHaveCountAsync(1);
        await Expect(goal.Locator("[data-testid=goal-deadline-badge]")).ToContainTextAsync("due in 3 days");
        await Expect(page.Locator("[data-testid=goal-alert]")).ToContainTextAsync("Ship the helm migration");
        await goal.Locator("[data-testid=milestone-title]").FillAsync("Write the runbook");
        await goal.Locator("[data-testid=milestone-add]").ClickAsync();
        await Expect(goal.Locator("[data-testid=milestone]")).ToHaveCountAsync(1);
        await goal.Locator("[data-testid=milestone-done]").CheckAsync();
        await Expect(goal.Locator("[data-testid=milestone-done]")).ToBeCheckedAsync();
        await goal.Locator("[data-testid=goal-progress-input]").FillAsync("40");
        await Expect(goal.Locator("[data-testid=goal-progress]")).ToHaveAttributeAsync("value", "40");
        await goal.Locator("[data-testid=goal-suggest]").ClickAsync();
        await Expect(goal.Locator("[data-testid=goal-suggestion]")).ToContainTextAsync("Write the rollback runbook");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("goals"), FullPage = true });
        var stored = (await api.GetJsonAsync("/v1/goals"))[0];
        Assert.Equal(40, stored.GetProperty("progress").GetInt32());
        Assert.Equal("done", stored.GetProperty("milestones")[0].GetProperty("status").GetString());

        // Packs: install one from a file, activate it.
        await page.ClickAsync("nav a[data-nav=packs]");
        await Expect(page.Locator("[data-testid=no-packs]")).ToBeVisibleAsync();
        await page.SetInputFilesAsync("[data-testid=pack-file]", new FilePayload
        {
            Name = "helm.pack.yaml",
            MimeType = "application/yaml",
            Buffer = System.Text.Encoding.UTF8.GetBytes("name: helm-ops\nversion: 1.0.0\ndescription: Running helm releases\ntopics: [helm, deploy]\nrules:\n  - Roll back with helm rollback before debugging a failed release.\n"),
        });
        await page.ClickAsync("[data-testid=pack-upload]");
        var pack = page.Locator("[data-testid=pack]");
        await Expect(pack).ToHaveCountAsync(1);
        await pack.Locator("[data-testid=pack-activate]").ClickAsync();
        await Expect(pack.Locator("[data-testid=pack-state]")).ToHaveTextAsync("active 1.0.0");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("packs"), FullPage = true });

        ui.AssertNoProblems(allow: "400 PUT");
    }

    [ChromiumFact]
    public async Task The_persona_editor_saves_refuses_a_blank_voice_lists_the_kept_version_and_undoes()
    {
        await using var server = await TestServer.StartAsync();
        var key = server.CreateKey("persona");
        var api = server.Client(key);
        var original = await File.ReadAllTextAsync(server.Workspace.IdentityPath);
        await using var ui = await Ui.OpenAsync(server, key, new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });
        var page = ui.Page;

        await page.ClickAsync("nav a[data-nav=profile]");
        var voice = page.Locator("[data-testid=persona-voice]");
        await Expect(voice).ToHaveValueAsync("calm, direct, pragmatic engineer");
        await Expect(page.Locator("[data-testid=profile-history] li")).ToHaveTextAsync("none yet");

        // Blank (spaces pass the browser's "required"): the server refuses it, names the field, and nothing changes.
        await voice.FillAsync("   ");
        await page.ClickAsync("[data-testid=profile-save]");
        await Expect(page.Locator("[data-testid=profile-status]")).ToContainTextAsync("persona.voice is empty");
        Assert.Equal(original, await File.ReadAllTextAsync(server.Workspace.IdentityPath));

        await voice.FillAsync("careful archivist");
        await page.FillAsync("[data-testid=persona-style]", "Use short sentences\nCite the source");
        await page.ClickAsync("[data-testid=profile-save]");
        await Expect(page.Locator("[data-testid=profile-saved]")).ToBeVisibleAsync();
        var saved = await api.GetJsonAsync("/v1/profile");
        Assert.Equal("careful archivist", saved.GetProperty("persona").GetProperty("voice").GetString());
        Assert.Equal(["Use short sentences", "Cite the source"], saved.GetProperty("persona").GetProperty("style_rules").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(6, saved.GetProperty("principles").GetArrayLength());
        var kept = page.Locator("[data-testid=profile-history] li");
        await Expect(kept).ToHaveCountAsync(1);
        await Expect(kept).ToContainTextAsync("— calm, direct, pragmatic engineer");
        var replacedAt = (await api.GetJsonAsync("/v1/profile/history"))[0].GetProperty("replaced_at").GetDateTimeOffset();
        Assert.DoesNotContain("Invalid", await kept.TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.Contains(replacedAt.LocalDateTime.Year.ToString(System.Globalization.CultureInfo.InvariantCulture), await kept.TextContentAsync() ?? "", StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("profile"), FullPage = true });

        await page.ClickAsync("[data-testid=profile-undo]");
        await Expect(voice).ToHaveValueAsync("calm, direct, pragmatic engineer");
        await Expect(page.Locator("[data-testid=profile-history] li")).ToHaveTextAsync("none yet");
        Assert.Equal(original, await File.ReadAllTextAsync(server.Workspace.IdentityPath));
        ui.AssertNoProblems(allow: "400 PUT");
    }

    private static Task<string> BackgroundAsync(IPage page) =>
        page.EvaluateAsync<string>("getComputedStyle(document.documentElement).backgroundColor");

    /// <summary>Nothing wider than the screen: no sideways scrolling on a phone.</summary>
    private static async Task AssertFitsAsync(IPage page, string name)
    {
        var widths = await page.EvaluateAsync<int[]>("[document.documentElement.scrollWidth, window.innerWidth]");
        Assert.True(widths[0] <= widths[1], $"{name}: the page is {widths[0]}px wide on a {widths[1]}px screen");
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (await probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the condition did not hold within 30 s");
            await Task.Delay(50);
        }
    }

    /// <summary>A browser page signed in with an API key, collecting page errors, console errors and failed requests.</summary>
    private sealed class Ui : IAsyncDisposable
    {
        private readonly IPlaywright _playwright;
        private readonly IBrowser _browser;
        private readonly List<string> _problems = [];

        private Ui(IPlaywright playwright, IBrowser browser, IPage page)
        {
            _playwright = playwright;
            _browser = browser;
            Page = page;
            page.PageError += (_, error) => _problems.Add(error);
            page.Console += (_, message) => { if (message.Type == "error") _problems.Add($"{message.Text} at {message.Location}"); };
            page.Response += (_, response) => { if (response.Status >= 400) _problems.Add($"{response.Status} {response.Request.Method} {response.Url}"); };
        }

        public IPage Page { get; }

        public static async Task<Ui> OpenAsync(TestServer server, string key, BrowserNewContextOptions options)
        {
            var (playwright, browser) = await Browser.LaunchAsync();
            var context = await browser.NewContextAsync(options);
            var ui = new Ui(playwright, browser, await context.NewPageAsync());
            await ui.Page.GotoAsync(server.BaseAddress.ToString());
            await Expect(ui.Page.Locator("#key-dialog")).ToBeVisibleAsync();
            await ui.Page.FillAsync("#key-input", key);
            await ui.Page.ClickAsync("#key-save");
            await Expect(ui.Page.Locator("#who")).ToContainTextAsync("owner");
            return ui;
        }

        /// <param name="allow">A failed request the test provoked on purpose ("400 PUT"), and the console error it logs.</param>
        public void AssertNoProblems(string? allow = null)
        {
            var left = _problems.Where(p => allow is null || !(p.StartsWith(allow, StringComparison.Ordinal) || p.Contains("status of 400", StringComparison.Ordinal))).ToList();
            Assert.True(left.Count == 0, string.Join("\n", left));
        }

        public async ValueTask DisposeAsync()
        {
            await _browser.DisposeAsync();
            _playwright.Dispose();
        }
    }
}
