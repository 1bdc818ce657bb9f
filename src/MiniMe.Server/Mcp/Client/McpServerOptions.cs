using System.Text.RegularExpressions;

namespace MiniMe.Server.Mcp;

/// <summary>
/// One entry of mcp.servers: an MCP server MiniMe's agents may use. Exactly one of <see cref="Command"/> (a program and
/// its arguments, started without a shell, in a trusted workspace only) or <see cref="Url"/> (Streamable HTTP or SSE).
/// </summary>
public sealed partial class McpServerOptions
{
    /// <summary>What the server is called: letters, digits, '-' and '_' (no "__"); its tools are mcp__{name}__{tool}.</summary>
    public string Name { get; set; } = "";

    /// <summary>The program and its arguments, as a list: ["npx", "-y", "@modelcontextprotocol/server-filesystem", "/tmp"]. Never run through a shell.</summary>
    public List<string> Command { get; set; } = [];

    /// <summary>An http:// or https:// MCP endpoint.</summary>
    public string? Url { get; set; }

    /// <summary>
    /// Names of environment variables the stdio server gets (their values are read from MiniMe's environment when it
    /// starts the server, never stored in config.yaml or traces); besides these it gets only PATH, HOME, locale and
    /// .NET's own locations.
    /// </summary>
    public List<string> Env { get; set; } = [];

    /// <summary>url only: the environment variable holding a token sent as "Authorization: Bearer ..." (e.g. a MiniMe API key).</summary>
    public string? ApiKeyVariable { get; set; }

    /// <summary>true: you vouch that this server's tools only read; agents call them while they think. false (the default): every call is a proposal that waits for approval.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>Only these of the server's tools are offered (its names, not the mcp__ ones); empty: all of them.</summary>
    public List<string> Tools { get; set; } = [];

    /// <summary>Connecting (starting the program, the handshake, listing tools) and each tool call give up after this long.</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>stdio or http (a method, not a property: no setting of that name exists).</summary>
    public string TransportKind() => Url is { Length: > 0 } ? "http" : "stdio";

    /// <summary>The name agents call one of this server's tools by.</summary>
    public string ToolName(string tool) => $"mcp__{Name}__{tool}";

    /// <summary>Every problem of the entry, one line each, prefixed with where it is (mcp.servers[0]).</summary>
    public IEnumerable<string> Problems(string at)
    {
        if (string.IsNullOrWhiteSpace(Name))
            yield return $"{at}.name: every server needs a name (letters, digits, '-', '_'), e.g. name: files";
        else if (!NamePattern().IsMatch(Name) || Name.Contains("__", StringComparison.Ordinal))
            yield return $"{at}.name: '{Name}' may hold only letters, digits, '-' and single '_' (its tools are called mcp__{{name}}__{{tool}})";
        var hasCommand = Command.Count > 0;
        var hasUrl = !string.IsNullOrWhiteSpace(Url);
        if (hasCommand == hasUrl)
            yield return hasCommand
                ? $"{at}: give either command (a program started over stdio) or url (an HTTP endpoint), not both"
                : $"{at}: give command: [program, args...] (stdio) or url: https://... (HTTP)";
        if (hasCommand && string.IsNullOrWhiteSpace(Command[0]))
            yield return $"{at}.command: the first item is the program and must not be empty";
        else if (hasCommand && Command.Count == 1 && Command[0].Trim().Contains(' ', StringComparison.Ordinal))
            yield return $"{at}.command: '{Command[0]}' is one string with spaces; servers start without a shell, so give the program and its arguments as a list";
        if (hasUrl && (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host)))
            yield return $"{at}.url: '{Url}' is not an http:// or https:// URL";
        foreach (var variable in Env)
            if (!VariablePattern().IsMatch(variable ?? ""))
                yield return $"{at}.env: '{variable}' is not an environment variable name (list names only; values are never written in config.yaml)";
        if (hasUrl && Env.Count > 0)
            yield return $"{at}.env: only a stdio server (command) gets environment variables; for a URL use apiKeyVariable";
        if (ApiKeyVariable is { } key && (!hasUrl || !VariablePattern().IsMatch(key)))
            yield return hasUrl ? $"{at}.apiKeyVariable: '{key}' is not an environment variable name" : $"{at}.apiKeyVariable: applies only to a url server";
        foreach (var tool in Tools)
            if (string.IsNullOrWhiteSpace(tool))
                yield return $"{at}.tools: an empty tool name";
        if (TimeoutSeconds is < 1 or > 600)
            yield return $"{at}.timeoutSeconds must be between 1 and 600 (is {TimeoutSeconds})";
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,40}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariablePattern();
}
