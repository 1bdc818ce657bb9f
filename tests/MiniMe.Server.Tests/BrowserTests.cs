using Microsoft.Playwright;
using MiniMe.Server.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace MiniMe.Server.Tests;

/// <summary>The web UI in a real browser (Debian chromium driven by Playwright) against the real server.</summary>
[Trait("Category", "Browser")]
public sealed class BrowserTests
{
    [ChromiumFact]
    public async Task Chat_streams_a_markdown_answer_then_the_trace_runs_memory_and_approvals_pages_work()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new ScriptedChatClient().Enqueue(new ScriptedAnswer(["We ship with **helm**", " charts:\n\n- build the image\n- `helm upgrade`\n"]) { GateAfterFirstToken = gate });
        await using var server = await TestServer.StartAsync(model, services: s => s.AddAskService());
        var key = server.CreateKey("browser");
        var api = server.Client(key);
        await api.PostJsonAsync("/v1/memory/import", new { documents = new[] { new { name = "deploy.md", content = "# Deploying\n\nWe deploy with helm charts; helm rollback undoes a release.\n" } } });
        await api.PostJsonAsync("/v1/ask", new { task = "document the helm rollback and run the tests" });

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add(error);
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"{message.Text} at {message.Location}"); };
        page.Response += (_, response) => { if (response.Status >= 400) problems.Add($"{response.Status} {response.Request.Method} {response.Url}"); };

        await page.GotoAsync(server.BaseAddress.ToString());
        await Expect(page.Locator("#key-dialog")).ToBeVisibleAsync();
        await page.FillAsync("#key-input", key);
        await page.ClickAsync("#key-save");
        await Expect(page.Locator("#who")).ToContainTextAsync("owner");

        // Send a chat; the first token shows (as Markdown) while the model is still held back.
        await page.FillAsync("[data-testid=chat-input]", "How do we deploy?");
        await page.ClickAsync("[data-testid=chat-send]");
        var answer = page.Locator("[data-testid=message-assistant]").Last;
        await Expect(answer.Locator(".body strong")).ToHaveTextAsync("helm");
        await Expect(answer).ToHaveAttributeAsync("data-streaming", "true");
        gate.SetResult();
        await Expect(answer.Locator(".body li")).ToHaveCountAsync(2);
        await Expect(answer.Locator(".body code")).ToHaveTextAsync("helm upgrade");
        await Expect(answer).Not.ToHaveAttributeAsync("data-streaming", "true");
        await Expect(page.Locator("[data-testid=conversation-list] li")).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("chat"), FullPage = true });

        // Open the turn's trace.
        await answer.Locator("[data-testid=trace-link]").ClickAsync();
        await Expect(page.Locator("[data-testid=trace-title]")).ToContainTextAsync("Run ");
        await Expect(page.Locator("[data-testid=trace-task]")).ToHaveTextAsync("How do we deploy?");
        await Expect(page.Locator("[data-testid=trace-status]")).ToHaveTextAsync("completed");
        await Expect(page.Locator("[data-testid=trace-event]")).ToHaveCountAsync(6);
        var modelCall = page.Locator("[data-testid=model-call]");
        await Expect(modelCall).ToHaveCountAsync(1);
        await Expect(modelCall).ToContainTextAsync("chat");
        await Expect(modelCall).ToContainTextAsync("completed");
        await Expect(page.Locator("[data-testid=mask-chart]")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("trace"), FullPage = true });

        await page.ClickAsync("nav a[data-nav=runs]");
        await Expect(page.Locator("[data-testid=run-row]")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-testid=tokens-chart]")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("runs"), FullPage = true });

        await page.ClickAsync("nav a[data-nav=memory]");
        await Expect(page.Locator("[data-testid=memory-stats]")).ToContainTextAsync("1 documents");
        await page.FillAsync("[data-testid=search-input]", "helm rollback");
        await page.ClickAsync("[data-testid=search-button]");
        await Expect(page.Locator("[data-testid=search-hit]")).ToHaveCountAsync(1);
        await page.FillAsync("[data-testid=fact-input]", "Prefers helm over raw manifests");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("[data-testid=fact]")).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("memory"), FullPage = true });

        await page.ClickAsync("nav a[data-nav=proposals]");
        await Expect(page.Locator("[data-testid=proposal]")).ToHaveCountAsync(2);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("proposals"), FullPage = true });
        await page.Locator("[data-testid=proposal]").First.Locator("[data-testid=approve]").ClickAsync();
        await Expect(page.Locator("[data-testid=proposal]")).ToHaveCountAsync(1);
        await page.FillAsync("[data-testid=reject-reason]", "not now");
        await page.ClickAsync("[data-testid=reject]");
        await Expect(page.Locator("[data-testid=no-proposals]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=decided-proposal]")).ToHaveCountAsync(2);
        Assert.Equal(0, (await api.GetJsonAsync("/v1/proposals")).GetArrayLength());

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [ChromiumFact]
    public async Task A_wrong_key_is_refused_and_asked_for_again()
    {
        await using var server = await TestServer.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        await page.GotoAsync(server.BaseAddress.ToString());
        await page.FillAsync("#key-input", "mm_wrong");
        await page.ClickAsync("#key-save");
        await Expect(page.Locator("#key-error")).ToContainTextAsync("not valid");
        await page.FillAsync("#key-input", server.CreateKey("second-try"));
        await page.ClickAsync("#key-save");
        await Expect(page.Locator("#who")).ToContainTextAsync("owner");
        await Expect(page.Locator("[data-testid=chat-input]")).ToBeVisibleAsync();
    }
}
