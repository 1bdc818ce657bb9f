using System.Text.Json.Nodes;
using MiniMe.Configuration;
using MiniMe.Tools.Allowlist;

namespace MiniMe.Tools.Trust;

/// <summary>One thing trusting a workspace grants that deserves a second look.</summary>
/// <param name="Kind">A stable name for scripts (root_outside_workspace, runs_code, runs_writable_files, ...).</param>
public sealed record TrustWarning(string Kind, string Message);

/// <summary>
/// What trusting a workspace grants, for `minime trust` to show before asking: the tools root (real
/// path), sandbox and network, the read and write globs, each command rule, the extra environment,
/// and warnings for what widens it most: a root outside the workspace's folder (which needs its own
/// confirmation), rules that can run arbitrary code (interpreters, build tools, or arguments that can
/// name files the write rules allow), code files the write rules allow (write.code), shell
/// metacharacters, network, no sandbox.
/// </summary>
public sealed class TrustReview
{
    public const string RootOutsideWorkspace = "root_outside_workspace";

    private TrustReview(TrustStatus status, string project, MiniMeOptions options, ToolAllowlist allowlist, string trustFile, IReadOnlyList<TrustWarning> warnings)
    {
        Status = status;
        ProjectDirectory = project;
        Tools = options.Tools;
        Hooks = options.Hooks;
        Allowlist = allowlist;
        TrustFile = trustFile;
        Warnings = warnings;
    }

    public TrustStatus Status { get; }
    public WorkspaceFingerprint Fingerprint => Status.Fingerprint;
    /// <summary>The folder holding the MiniMe home (real path); a tools root outside it needs --allow-outside-root.</summary>
    public string ProjectDirectory { get; }
    public ToolsOptions Tools { get; }
    /// <summary>The program hooks of config.yaml: programs run at run, agent-call and tool events.</summary>
    public IReadOnlyList<MiniMe.Hooks.HookOptions> Hooks { get; }
    public ToolAllowlist Allowlist { get; }
    public string TrustFile { get; }
    public IReadOnlyList<TrustWarning> Warnings { get; }

    /// <summary>True when the tools root is outside the workspace's folder, or is / or the home directory: trusting it needs an explicit flag.</summary>
    public bool RootNeedsConfirmation => Warnings.Any(w => w.Kind == RootOutsideWorkspace);

    /// <param name="home">The user's home directory (default $HOME), to warn about a root that is the home directory.</param>
    public static TrustReview Of(TrustStore store, Workspace workspace, MiniMeOptions options, string? home = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(options);
        var tools = options.Tools;
        var allowlist = AllowlistLoader.Load(workspace.AllowlistPath);
        var fingerprint = WorkspaceFingerprint.Of(workspace, allowlist, WorkspaceFingerprint.RealToolsRoot(workspace, tools), options);
        var status = WorkspaceTrust.Check(store, fingerprint, allowlist);
        var project = Path.GetDirectoryName(fingerprint.Workspace) ?? fingerprint.Workspace;
        home ??= Environment.GetEnvironmentVariable("HOME");
        var warnings = new List<TrustWarning>();
        if (RootProblem(fingerprint.ToolsRoot, project, home) is { } root) warnings.Add(new TrustWarning(RootOutsideWorkspace, root));
        foreach (var rule in allowlist.Commands)
        {
            var where = $"`{rule.Program}` (allowlist.yaml line {rule.Line})";
            if (CodeRunningPrograms.Why(rule) is { } why) warnings.Add(new TrustWarning("runs_code", $"{where}: {why}"));
            if (WritableProgram(rule, fingerprint.ToolsRoot, allowlist.Write) is { } program)
                warnings.Add(new TrustWarning("program_writable", $"{where}: the program is a file tools may write ({program}): an approved write changes what it runs"));
            foreach (var (pattern, glob) in WritableArguments(rule, fingerprint.ToolsRoot, allowlist.Write))
                warnings.Add(new TrustWarning("runs_writable_files", $"{where}: `{rule.Program} {pattern}` can name files tools may write ({glob}): if it runs or loads them, an approved write becomes code that runs"));
            if (rule.AllowShellMetacharacters)
                warnings.Add(new TrustWarning("shell_metacharacters", $"{where}: allowShellMetacharacters is true: arguments may carry ; | $ ` and the like, which run if the program hands them to a shell"));
        }
        if (allowlist.Write.Code.Count > 0)
            warnings.Add(new TrustWarning("writes_code_files", $"write.code lets tools write files that run code ({string.Join(", ", allowlist.Write.Code.Select(g => g.Pattern))}): the next build, test run, editor or CI job runs what an approved write put there"));
        if (tools.AllowNetwork)
            warnings.Add(new TrustWarning("network", "tools.allowNetwork is true: commands can reach the network, and send anything they can read"));
        if (tools.Sandbox == SandboxMode.None)
            warnings.Add(new TrustWarning("no_sandbox", "tools.sandbox is none: commands run outside the bubblewrap sandbox, with all of your user's access"));
        static TrustWarning HookWarning(string where, MiniMe.Hooks.HookOptions hook, string runs) => new("hook_runs_program",
            $"{where} hooks: `{hook.DisplayName}` runs at every {hook.Event}{(hook.Match?.Tool is { } tool ? $" of {tool}" : "")} event{runs} (inside the sandbox, told the event's content{(HooksBefore(hook) ? "; it can veto or change what happens" : "")})");
        foreach (var hook in options.Hooks) warnings.Add(HookWarning("config.yaml", hook, ""));
        foreach (var (file, hooks) in WorkspaceFingerprint.WorkflowHooks(workspace))
            foreach (var hook in hooks) warnings.Add(HookWarning("workflows/" + file, hook, " of that workflow's runs"));
        foreach (var server in McpServers(workspace))
            warnings.Add(server.Url is { } url
                ? new TrustWarning("mcp_server_url", $"config.yaml mcp.servers: `{server.Name}` at {url}: agents send it what they read (and propose its tools){(server.ReadOnly ? "; marked readOnly: its tools run without approval" : "")}")
                : new TrustWarning("mcp_server_runs_program", $"config.yaml mcp.servers: `{server.Name}` starts `{server.Command}` outside the sandbox, with your user's access, when agents need its tools{(server.ReadOnly ? "; marked readOnly: its tools run without approval" : "")}"));
        foreach (var finding in GitConfigInspector.Findings(fingerprint.ToolsRoot))
            warnings.Add(new TrustWarning("git_runs_code", finding));
        if (WorkspaceTrust.IsInsideRoot(store, fingerprint.ToolsRoot))
            warnings.Add(new TrustWarning("trust_file_in_root", $"the trust file {store.Path} is inside the tools root: a command that can write there could trust other workspaces; set {TrustStore.EnvironmentVariable} to a file outside it"));
        return new TrustReview(status, project, options, allowlist, store.Path, warnings);
    }

    public JsonObject ToJson() => new()
    {
        ["workspace"] = Fingerprint.Workspace,
        ["trustFile"] = TrustFile,
        ["trusted"] = Status.IsTrusted,
        ["reason"] = Status.Refusal,
        ["trustedAt"] = Status.Entry?.TrustedAt.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        ["how"] = Status.Entry is null ? null : Status.Entry.How == TrustSource.Init ? "init" : "user",
        ["grants"] = new JsonObject
        {
            ["toolsRoot"] = Fingerprint.ToolsRoot,
            ["sandbox"] = SettingValues.Name(Tools.Sandbox),
            ["network"] = Tools.AllowNetwork,
            ["read"] = Rules(Allowlist.Read),
            ["write"] = Rules(Allowlist.Write),
            ["commands"] = new JsonArray([.. Allowlist.Commands.Select(c => (JsonNode?)new JsonObject
            {
                ["program"] = c.Program,
                ["args"] = new JsonArray([.. c.Arguments.Select(a => (JsonNode?)a.Text)]),
                ["deny"] = new JsonArray([.. c.Deny.Select(d => (JsonNode?)d.Pattern)]),
                ["allowShellMetacharacters"] = c.AllowShellMetacharacters,
                ["line"] = c.Line,
            })]),
            ["environment"] = new JsonArray([.. Allowlist.Environment.Select(e => (JsonNode?)e)]),
            ["hooks"] = new JsonArray([.. Hooks.Select(h => (JsonNode?)new JsonObject
            {
                ["event"] = h.Event,
                ["program"] = new JsonArray([.. h.Program.Select(a => (JsonNode?)a)]),
                ["tool"] = h.Match?.Tool,
            })]),
        },
        ["warnings"] = new JsonArray([.. Warnings.Select(w => (JsonNode?)new JsonObject { ["kind"] = w.Kind, ["message"] = w.Message })]),
    };

    /// <summary>The MCP servers as configured (from the keys the fingerprint hashes): name, command line or URL, readOnly.</summary>
    private static IEnumerable<(string Name, string? Command, string? Url, bool ReadOnly)> McpServers(Workspace workspace)
    {
        if (WorkspaceFingerprint.McpServers(workspace) is not { } keys) yield break;
        var values = keys.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>(), StringComparer.Ordinal);
        foreach (var index in values.Keys.Select(k => k.Split(':')[0]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            string? Value(string key) => values.GetValueOrDefault(index + ":" + key);
            var argv = values.Where(p => p.Key.StartsWith(index + ":command:", StringComparison.Ordinal))
                .OrderBy(p => int.TryParse(p.Key[(index.Length + 9)..], out var n) ? n : int.MaxValue).Select(p => p.Value).ToList();
            yield return (Value("name") ?? "#" + index, argv.Count > 0 ? string.Join(' ', argv) : null, Value("url"),
                string.Equals(Value("readonly"), "true", StringComparison.OrdinalIgnoreCase));
        }
    }

    private static bool HooksBefore(MiniMe.Hooks.HookOptions hook) => MiniMe.Hooks.HookEvents.IsBefore(hook.Event);

    private static JsonObject Rules(PathRules rules) => new()
    {
        ["include"] = new JsonArray([.. rules.Include.Select(g => (JsonNode?)g.Pattern)]),
        ["exclude"] = new JsonArray([.. rules.Exclude.Select(g => (JsonNode?)g.Pattern)]),
        ["code"] = new JsonArray([.. rules.Code.Select(g => (JsonNode?)g.Pattern)]),
    };

    private static string? RootProblem(string root, string project, string? home)
    {
        if (root == Path.GetPathRoot(root))
            return $"tools.root is {root}, the whole file system, far outside the workspace's folder {project}";
        if (home is { Length: > 0 } && IsUnder(Path.GetFullPath(home), root))
            return $"tools.root {root} is {(Path.GetFullPath(home).TrimEnd('/') == root ? "your home directory" : "above your home directory")}, not the workspace's folder {project}";
        return IsUnder(root, project) ? null : $"tools.root {root} is outside the workspace's folder {project}";
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="directory"/> or below it.</summary>
    private static bool IsUnder(string path, string directory)
    {
        var relative = Path.GetRelativePath(directory, path);
        return relative == "." || !(relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative));
    }

    private static string? WritableProgram(CommandRule rule, string root, PathRules write)
    {
        if (!rule.Program.Contains('/', StringComparison.Ordinal)) return null;
        var full = Path.IsPathRooted(rule.Program) ? rule.Program : Path.GetFullPath(Path.Combine(root, rule.Program));
        if (!IsUnder(full, root)) return null;
        var relative = Path.GetRelativePath(root, full).Replace(Path.DirectorySeparatorChar, '/');
        return write.Include.FirstOrDefault(g => g.IsMatch(relative))?.Pattern;
    }

    /// <summary>Argument patterns with a word that can name a path the write rules include (excludes are ignored: this errs towards warning).</summary>
    private static IEnumerable<(string Pattern, string Glob)> WritableArguments(CommandRule rule, string root, PathRules write)
    {
        foreach (var pattern in rule.Arguments)
        {
            var hit = pattern.Text.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)
                // A lone * (any argument) is reported for programs that run code and is noise for the rest; a plain
                // word such as `status` is a subcommand, not a file. Words with a wildcard, '/' or '.' may be files.
                .Where(w => w is not ("*" or ArgumentPattern.Rest) && w.IndexOfAny(['*', '?', '/', '.']) >= 0)
                .SelectMany(w => PathForms(w, root))
                .SelectMany(form => write.Include.Where(g => GlobOverlap.Overlaps(new ArgumentGlob(form), g)))
                .Select(g => g.Pattern)
                .FirstOrDefault();
            if (hit is not null) yield return (pattern.Text, hit);
        }
    }

    /// <summary>The ways an argument word can name a path relative to the root: as written, without ./, without the root, after an option's =.</summary>
    private static IEnumerable<string> PathForms(string word, string root)
    {
        if (word.StartsWith('-'))
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0) yield break;
            word = word[(equals + 1)..];
        }
        if (word.Length == 0) yield break;
        yield return word;
        if (word.StartsWith("./", StringComparison.Ordinal) && word.Length > 2) yield return word[2..];
        var prefix = root.TrimEnd('/') + "/";
        if (word.StartsWith(prefix, StringComparison.Ordinal) && word.Length > prefix.Length) yield return word[prefix.Length..];
    }
}
