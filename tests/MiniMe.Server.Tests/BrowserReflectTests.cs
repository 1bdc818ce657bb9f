using Microsoft.Playwright;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using static Microsoft.Playwright.Assertions;

namespace MiniMe.Server.Tests;

/// <summary>The web UI's Reflect view in real chromium against the real server and a scripted model.</summary>
[Trait("Category", "Browser")]
public sealed class BrowserReflectTests
{
    [ChromiumFact]
    public async Task The_reflect_view_runs_the_panel_and_shows_verdicts_synthesis_and_the_disagreement_index()
    {
        var chat = new MiniMe.Testing.ScriptedChatClient { Responder = call => ReflectionReplies.For(ReflectionReplies.PerspectiveOf(call.SystemText), ReflectCliTests.Verdicts) };
        await using var server = await TestServer.StartAsync(chat);
        var key = server.CreateKey("reflect");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await (await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 } })).NewPageAsync();
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add(error);
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"{message.Text} at {message.Location}"); };
        page.Response += (_, response) => { if (response.Status >= 400) problems.Add($"{response.Status} {response.Request.Method} {response.Url}"); };
        await page.GotoAsync(server.BaseAddress.ToString());
        await page.FillAsync("#key-input", key);
        await page.ClickAsync("#key-save");
        await Expect(page.Locator("#who")).ToContainTextAsync("owner");

        await page.ClickAsync("nav a[data-nav=reflect]");
        await page.UncheckAsync("[data-testid=reflect-perspective-librarian]");
        await page.UncheckAsync("[data-testid=reflect-perspective-philosopher]");
        await page.FillAsync("[data-testid=reflect-subject]", "Move all my notes into one SQLite database");
        await page.ClickAsync("[data-testid=reflect-start]");

        await Expect(page.Locator("[data-testid=reflect-verdict]")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-testid=reflect-summary]")).ToHaveTextAsync("The panel is split on the plan.");
        await Expect(page.Locator("[data-testid=reflect-open-concerns] li")).ToHaveTextAsync(["skeptic: the evidence is thin."]);
        var shown = double.Parse(await page.Locator("[data-testid=reflect-disagreement]").GetAttributeAsync("value") ?? "", System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(shown, 0.8, 1); // engineer supports, skeptic opposes, both confident
        await Expect(page.Locator("[data-testid=reflect-verdict]").Nth(1)).ToContainTextAsync("No backup is mentioned");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("reflect"), FullPage = true });
        Assert.Equal(3, chat.Calls.Count);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
