using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Trust;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime trust`: shows what trusting the workspace grants its tools (root, sandbox, network, read
/// and write globs, each command rule) with warnings, then records trust after a yes (or --yes). A
/// workspace MiniMe did not create, or whose allowlist or tools settings changed, runs no tools until
/// then. `--list` shows every trusted workspace, `--revoke` forgets this one.
/// </summary>
internal sealed class TrustCommand : MiniMeCommand
{
    private readonly Option<bool> _yes = new("--yes", "-y") { Description = "Trust without asking (a tools root outside the workspace's folder still needs --allow-outside-root)" };
    private readonly Option<bool> _allowOutsideRoot = new("--allow-outside-root") { Description = "Accept a tools.root outside the workspace's folder (such as / or your home directory)" };
    private readonly Option<bool> _list = new("--list") { Description = "List the trusted workspaces and whether each still matches what was trusted" };
    private readonly Option<bool> _revoke = new("--revoke") { Description = "Stop trusting this workspace: its tools are refused until it is trusted again" };
    private readonly Option<bool> _json = new("--json") { Description = "Print JSON" };

    public TrustCommand(CliContext context) : base("trust", "Review what this workspace's tools may do and trust it; an untrusted workspace runs no tools", context)
    {
        Options.Add(_yes);
        Options.Add(_allowOutsideRoot);
        Options.Add(_list);
        Options.Add(_revoke);
        Options.Add(_json);
    }

    protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var list = parse.GetValue(_list);
        var revoke = parse.GetValue(_revoke);
        if (list && revoke) throw new InvalidInputException("--list and --revoke cannot be combined.");
        if ((list || revoke) && (parse.GetValue(_yes) || parse.GetValue(_allowOutsideRoot)))
            throw new InvalidInputException("--yes and --allow-outside-root only apply when trusting; drop them with --list or --revoke.");
        var json = parse.GetValue(_json);
        var store = Context.Trust;
        if (list) return Task.FromResult(List(store, json));
        var workspace = ResolveWorkspace(parse);
        if (revoke) return Task.FromResult(Revoke(store, workspace, json));
        workspace.EnsureInitialized();
        _ = store.List();   // a damaged trust file is an error here, before anything is shown or asked
        var review = TrustReview.Of(store, workspace, Engine.LoadOptions(workspace));
        if (review.Status.IsTrusted)
        {
            Show(review, json);
            if (!json) Out.MarkupLine($"[green]Already trusted[/]: {Markup.Escape(review.Status.Entry!.Since)}, and nothing changed since. Nothing to do.");
            return Task.FromResult(ExitCodes.Ok);
        }
        Show(review, json);
        if (review.RootNeedsConfirmation && !parse.GetValue(_allowOutsideRoot))
            throw new InvalidInputException($"{review.Warnings.First(w => w.Kind == TrustReview.RootOutsideWorkspace).Message}; trusting that needs --allow-outside-root (set tools.root in config.yaml to the project folder otherwise).");
        var yes = parse.GetValue(_yes);
        if (json && !yes) throw new InvalidInputException("Trusting a workspace with --json needs --yes (nothing was recorded).");
        if (!Confirmation.Ask(Context, yes, $"Trust {Markup.Escape(review.Fingerprint.Workspace)} with the above?", "Trusting a workspace"))
        {
            Out.MarkupLine("Not trusted; its tools stay refused.");
            return Task.FromResult(ExitCodes.Ok);
        }
        var entry = WorkspaceTrust.Record(store, review.Fingerprint, review.Allowlist, TrustSource.User, DateTimeOffset.UtcNow);
        if (json)
        {
            var result = review.ToJson();
            result["trusted"] = true;
            result["reason"] = null;
            result["trustedAt"] = entry.TrustedAt.ToString("O", CultureInfo.InvariantCulture);
            result["how"] = "user";
            Out.Profile.Out.Writer.WriteLine(result.ToJsonString(JsonFormats.Indented));
        }
        else
        {
            Out.MarkupLine($"[green]Trusted[/] {Markup.Escape(review.Fingerprint.Workspace)} (recorded in {Markup.Escape(store.Path)}): its tools run again, each action after your approval.");
        }
        return Task.FromResult(ExitCodes.Ok);
    }

    private void Show(TrustReview review, bool json)
    {
        if (json)
        {
            if (!review.Status.IsTrusted) return;   // printed once, after the decision
            Out.Profile.Out.Writer.WriteLine(review.ToJson().ToJsonString(JsonFormats.Indented));
            return;
        }
        var f = review.Fingerprint;
        Out.MarkupLine($"Workspace [bold]{Markup.Escape(f.Workspace)}[/]");
        Out.MarkupLine(review.Status.IsTrusted
            ? "  [green]trusted[/]"
            : $"  [yellow]not trusted[/]: {Markup.Escape(review.Status.Reason!)}");
        Out.MarkupLine("What its tools may do (each action after your approval; read-only tools without asking):");
        var grid = new Grid().AddColumn(new GridColumn().PadLeft(2).PadRight(2).NoWrap()).AddColumn();
        grid.AddRow("tools root", Markup.Escape(f.ToolsRoot));
        grid.AddRow("sandbox", Markup.Escape(review.Tools.Sandbox switch
        {
            SandboxMode.Auto => "auto (bubblewrap when it works here, else none)",
            SandboxMode.Bwrap => "bwrap (required)",
            var other => SettingValues.Name(other),
        }));
        grid.AddRow("network", review.Tools.AllowNetwork ? "[yellow]allowed[/]" : "none inside the sandbox");
        grid.AddRow("read", Markup.Escape(Rules(review.Allowlist.Read)));
        grid.AddRow("write", Markup.Escape(Rules(review.Allowlist.Write)));
        if (review.Allowlist.Commands.Count == 0) grid.AddRow("commands", "none");
        for (var i = 0; i < review.Allowlist.Commands.Count; i++)
            grid.AddRow(i == 0 ? "commands" : "", Markup.Escape(Rule(review.Allowlist.Commands[i])));
        grid.AddRow("environment", Markup.Escape(review.Allowlist.Environment.Count == 0 ? "the default variables only" : "also " + string.Join(", ", review.Allowlist.Environment)));
        if (review.Hooks.Count == 0) grid.AddRow("hooks:", "none");
        for (var i = 0; i < review.Hooks.Count; i++)
            grid.AddRow(i == 0 ? "hooks:" : "", Markup.Escape($"{review.Hooks[i].Event}{(review.Hooks[i].Match?.Tool is { } tool ? $" ({tool})" : "")}: {review.Hooks[i].DisplayName}"));
        Out.Write(grid);
        if (review.Warnings.Count == 0) return;
        Out.MarkupLine("[yellow]Warnings[/]");
        foreach (var warning in review.Warnings)
            Out.MarkupLine($"  [yellow]![/] {Markup.Escape(warning.Message)}");
    }

    private static string Rules(PathRules rules) =>
        rules.Include.Count == 0 ? "nothing"
        : string.Join(", ", rules.Include.Select(g => g.Pattern))
          + (rules.Exclude.Count == 0 ? "" : $" (except {string.Join(", ", rules.Exclude.Select(g => g.Pattern))})")
          + (rules.Code.Count == 0 ? "" : $"; files that run code: {string.Join(", ", rules.Code.Select(g => g.Pattern))}");

    private static string Rule(CommandRule rule)
    {
        var text = $"{rule.Program} " + string.Join(" | ", rule.Arguments.Select(a => a.Text.Length == 0 ? "(no arguments)" : a.Text));
        if (rule.Deny.Count > 0) text += $"; never {string.Join(", ", rule.Deny.Select(d => d.Pattern))}";
        if (rule.AllowShellMetacharacters) text += "; shell metacharacters allowed";
        return text + $"  (line {rule.Line})";
    }

    private int List(TrustStore store, bool json)
    {
        var rows = store.List().Select(e => (Entry: e, Now: Current(store, e))).ToList();
        if (json)
        {
            var array = new JsonArray([.. rows.Select(r => (JsonNode?)new JsonObject
            {
                ["workspace"] = r.Entry.Workspace,
                ["toolsRoot"] = r.Entry.Fingerprint.ToolsRoot,
                ["trustedAt"] = r.Entry.TrustedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                ["how"] = r.Entry.How == TrustSource.Init ? "init" : "user",
                ["matches"] = r.Now is null,
                ["problem"] = r.Now,
            })]);
            Out.Profile.Out.Writer.WriteLine(array.ToJsonString(JsonFormats.Indented));
            return ExitCodes.Ok;
        }
        if (rows.Count == 0)
        {
            Out.MarkupLine($"No trusted workspaces in {Markup.Escape(store.Path)} yet.");
            return ExitCodes.Ok;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumn("workspace").AddColumn("trusted").AddColumn("by").AddColumn("now");
        foreach (var (entry, now) in rows)
            table.AddRow(
                Markup.Escape(entry.Workspace),
                entry.Date,
                entry.How == TrustSource.Init ? "minime init" : "you",
                now is null ? "[green]matches[/]" : $"[yellow]{Markup.Escape(now)}[/]");
        Out.Write(table);
        Out.MarkupLine($"[grey]{Markup.Escape(store.Path)}[/]");
        return ExitCodes.Ok;
    }

    /// <summary>Null when the workspace still matches its entry; otherwise what differs.</summary>
    private static string? Current(TrustStore store, TrustEntry entry)
    {
        var workspace = new Workspace(entry.Workspace);
        if (!workspace.IsInitialized) return "no workspace there any more";
        try
        {
            var status = WorkspaceTrust.Check(store, workspace, Engine.LoadOptions(workspace));
            return status.IsTrusted ? null : status.Reason;
        }
        catch (MiniMeException e)
        {
            return $"cannot be read: {e.Message}";
        }
    }

    private int Revoke(TrustStore store, Workspace workspace, bool json)
    {
        var path = WorkspaceFingerprint.RealWorkspace(workspace);
        var removed = store.Revoke(path);
        if (json)
            Out.Profile.Out.Writer.WriteLine(new JsonObject { ["workspace"] = path, ["revoked"] = removed }.ToJsonString(JsonFormats.Indented));
        else if (removed)
            Out.MarkupLine($"[green]Revoked[/] trust in {Markup.Escape(path)}: its tools are refused until you run `minime trust` again.");
        else
            Out.MarkupLine($"{Markup.Escape(path)} was not trusted; nothing to revoke.");
        return ExitCodes.Ok;
    }
}
