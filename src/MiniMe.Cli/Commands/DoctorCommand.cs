using System.CommandLine;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Providers;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>`minime doctor`: checks the workspace, the configuration and the LLM provider, and says what to fix.</summary>
internal sealed class DoctorCommand(CliContext context)
    : MiniMeCommand("doctor", "Check the workspace, configuration and LLM provider (endpoint, key, model, a test call); exit 1 if something needs fixing", context)
{
    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var workspace = ResolveWorkspace(parse);
        var checks = new List<DoctorCheck>();
        MiniMeOptions? options = null;
        if (!workspace.IsInitialized)
        {
            checks.Add(new DoctorCheck("workspace", CheckStatus.Failed, $"no workspace at {workspace.Root}", "run `minime init` (or pass --home / set MINIME_HOME)"));
        }
        else
        {
            checks.Add(new DoctorCheck("workspace", CheckStatus.Ok, workspace.Root));
            try
            {
                options = Engine.LoadOptions(workspace);
                checks.Add(new DoctorCheck("config", CheckStatus.Ok, $"{workspace.ConfigPath} is valid"));
            }
            catch (InvalidSettingsException e)
            {
                // Every unknown key and every value that does not fit, one failed check each (as every other command refuses them, exit 2).
                foreach (var problem in e.Problems)
                    checks.Add(new DoctorCheck("config", CheckStatus.Failed, problem, problem.Contains(": unknown setting '", StringComparison.Ordinal)
                        ? "fix or remove that setting in config.yaml (`minime config edit`), or unset the MINIME_ variable"
                        : "fix the value in config.yaml (`minime config edit`) or the MINIME_ variable named above"));
            }
            catch (ConfigException e)
            {
                checks.Add(new DoctorCheck("config", CheckStatus.Failed, e.Message, "fix config.yaml (`minime config edit`) or the MINIME_ variable named above"));
            }
        }
        if (options is not null)
        {
            checks.Add(EmbeddingCheck(workspace, options));
            checks.AddRange(await ProviderDoctor.CheckModelsAsync(options.Llm, cancellationToken: cancellationToken));
            checks.AddRange(await McpChecksAsync(workspace, options, cancellationToken));
        }

        foreach (var check in checks)
        {
            var (mark, color) = check.Status switch
            {
                CheckStatus.Ok => ("ok", "green"),
                CheckStatus.Warning => ("warn", "yellow"),
                _ => ("FAIL", "red"),
            };
            Out.MarkupLine($"[{color}]{mark,-4}[/] [bold]{Markup.Escape(check.Name),-10}[/] {Markup.Escape(check.Detail)}");
            if (check.Fix is not null && check.Status != CheckStatus.Ok) Out.MarkupLine($"     [grey]fix:[/] {Markup.Escape(check.Fix)}");
        }
        var healthy = ProviderDoctor.IsHealthy(checks);
        var failed = checks.Count(c => c.Status == CheckStatus.Failed);
        Out.MarkupLine(healthy ? "[green]healthy[/]: `minime ask TASK` can run the agent team" : $"[red]{failed} problem(s) to fix[/]");
        return healthy ? ExitCodes.Ok : ExitCodes.Error;
    }

    /// <summary>
    /// One check per mcp.servers entry: reached now (connected, with its tools), unreachable, or not started because the
    /// workspace is not trusted (warnings: a run goes on without that server's tools); a bad entry fails.
    /// </summary>
    private async Task<IReadOnlyList<DoctorCheck>> McpChecksAsync(Workspace workspace, MiniMeOptions options, CancellationToken cancellationToken)
    {
        MiniMe.Server.Mcp.McpOptions mcp;
        try
        {
            mcp = MiniMe.Server.Mcp.McpOptions.Load(workspace);
        }
        catch (InvalidSettingsException e)
        {
            return [.. e.Problems.Select(p => new DoctorCheck("mcp", CheckStatus.Failed, p, "fix mcp.servers in config.yaml (docs/mcp.md)"))];
        }
        if (mcp.Servers.Count == 0) return [];
        await using var pool = new MiniMe.Server.Mcp.McpClientPool(mcp, workspace, options);
        var trust = MiniMe.Tools.Trust.WorkspaceTrust.Check(Context.Trust, workspace, options);
        var statuses = await pool.StatusAsync(trust, cancellationToken);
        return [.. statuses.Select(s => s.State switch
        {
            "connected" => new DoctorCheck("mcp", CheckStatus.Ok, $"{s.Name} ({s.Transport}): reachable, {s.Tools.Count} tool(s){(s.ReadOnly ? ", read-only" : ", calls are proposals")}"),
            "untrusted" => new DoctorCheck("mcp", CheckStatus.Warning, $"{s.Name} ({s.Transport}): not started: {s.Error}", "review and trust the workspace: `minime trust`"),
            _ => new DoctorCheck("mcp", CheckStatus.Warning, $"{s.Name} ({s.Transport}): unreachable: {s.Error}", "check the server's command or url in mcp.servers (`minime mcp servers`)"),
        })];
    }

    /// <summary>Loads the embedding model (written from the package into the cache the first time) and says what it is and where it lives.</summary>
    private static DoctorCheck EmbeddingCheck(Workspace workspace, MiniMeOptions options)
    {
        var model = new MiniMe.Hosting.EmbeddingModel(workspace, options);
        if (options.Embeddings.EffectiveModel == "none")
            return new DoctorCheck("embeddings", CheckStatus.Warning, "none: search is lexical only (BM25)", "set embeddings.model: minilm in config.yaml for search by meaning (bundled, no download)");
        try
        {
            _ = model.Generator;
            return new DoctorCheck("embeddings", CheckStatus.Ok, $"{model.Description}; {model.Dimensions?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} dimensions; id {model.ModelId}; at {model.Location}");
        }
        catch (MiniMeException e)
        {
            return new DoctorCheck("embeddings", CheckStatus.Failed, e.Message, "fix embeddings.* in config.yaml, or set embeddings.model: none for lexical search only");
        }
    }
}
