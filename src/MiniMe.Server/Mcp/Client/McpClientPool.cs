using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using MiniMe.Configuration;
using MiniMe.Tools;
using MiniMe.Tools.External;
using MiniMe.Tools.Processes;
using MiniMe.Tools.Trust;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MiniMe.Server.Mcp;

/// <summary>What one configured MCP server is now: its state (not_connected, connected, unreachable, untrusted), the error, and its offered tools.</summary>
public sealed record McpServerStatus(string Name, string Transport, string Target, bool ReadOnly, string State, string? Error, IReadOnlyList<ExternalTool> Tools);

/// <summary>
/// MiniMe as an MCP client (the SDK's <see cref="McpClient"/> over <see cref="StdioClientTransport"/> or
/// <see cref="HttpClientTransport"/>): one connection per mcp.servers entry, made on first need (an agent run, a
/// proposal naming one of its tools, `minime mcp servers`, `minime doctor`) and kept for the life of the process.
/// A stdio server is a program started with the user's rights: in a workspace that is not trusted (the trust
/// fingerprint covers mcp.servers) no server is started or reached. It runs without a shell, in the tools root,
/// with only PATH, HOME, locale, .NET's variables and the names its env lists. A server that cannot be reached is a
/// one-line warning and is tried again on the next need; a call is bounded by the server's timeoutSeconds.
/// </summary>
public sealed partial class McpClientPool(McpOptions options, Workspace workspace, MiniMeOptions engine, ILoggerFactory? logs = null) : IExternalToolSource, IAsyncDisposable
{
    private const int StderrLines = 5;
    private readonly ILoggerFactory? _logs = logs;
    private readonly Dictionary<string, Connection> _connections = options.Servers.ToDictionary(s => s.Name, s => new Connection(s), StringComparer.Ordinal);

    public bool Configured => _connections.Count > 0;

    public IReadOnlyList<McpServerOptions> Servers => options.Servers;

    public async Task<ExternalToolList> ListAsync(TrustStatus trust, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trust);
        var statuses = await StatusAsync(trust, cancellationToken).ConfigureAwait(false);
        return new ExternalToolList(
            [.. statuses.SelectMany(s => s.Tools)],
            [.. statuses.Where(s => s.Error is not null).Select(s => s.State == "untrusted"
                ? $"mcp server '{s.Name}' not started: {s.Error}"
                : $"mcp server '{s.Name}' unreachable, its tools are not offered: {s.Error}")]);
    }

    /// <summary>Every configured server, connected now if it was not (in parallel), with its state and tools.</summary>
    public async Task<IReadOnlyList<McpServerStatus>> StatusAsync(TrustStatus trust, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trust);
        return await Task.WhenAll(options.Servers.Select(async server =>
        {
            var target = server.TransportKind() == "http" ? server.Url! : string.Join(' ', server.Command);
            if (trust.Refusal is { } refusal)
                return new McpServerStatus(server.Name, server.TransportKind(), target, server.ReadOnly, "untrusted", refusal, []);
            try
            {
                var (_, tools) = await _connections[server.Name].OpenAsync(this, cancellationToken).ConfigureAwait(false);
                return new McpServerStatus(server.Name, server.TransportKind(), target, server.ReadOnly, "connected", null, tools);
            }
            catch (ToolFailedException e)
            {
                return new McpServerStatus(server.Name, server.TransportKind(), target, server.ReadOnly, "unreachable", e.Message, []);
            }
        })).ConfigureAwait(false);
    }

    public async Task<JsonObject> CallAsync(ExternalTool tool, JsonObject arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(arguments);
        if (!_connections.TryGetValue(tool.Server, out var connection))
            throw new ToolFailedException($"there is no MCP server '{tool.Server}' in mcp.servers");
        var (client, tools) = await connection.OpenAsync(this, cancellationToken).ConfigureAwait(false);
        if (tools.All(t => t.Name != tool.Name))
            throw new ToolFailedException($"MCP server '{tool.Server}' does not offer {tool.Tool} ({(tools.Count == 0 ? "no tools" : string.Join(", ", tools.Select(t => t.Tool)))})");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(connection.Server.TimeoutSeconds));
        var clock = Stopwatch.StartNew();
        CallToolResult result;
        try
        {
            var values = arguments.ToDictionary(p => p.Key, p => (object?)(p.Value is null ? null : JsonSerializer.SerializeToElement(p.Value, McpJson.Node)), StringComparer.Ordinal);
            result = await client.CallToolAsync(tool.Tool, values, cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await connection.ResetAsync().ConfigureAwait(false);
            throw new ToolFailedException($"{tool.Name}: no answer within {connection.Server.TimeoutSeconds}s (mcp.servers timeoutSeconds)");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // McpException (the server's error), IOException (it died), HttpRequestException: one line; reconnect next time.
            if (e is not ModelContextProtocol.McpProtocolException) await connection.ResetAsync().ConfigureAwait(false);
            throw new ToolFailedException($"{tool.Name}: {OneLine(e.Message)}");
        }
        var text = string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));
        if (result.IsError is true)
            throw new ToolFailedException($"{tool.Name} failed: {OneLine(text.Length > 0 ? text : "the server reported an error")}");
        var output = result.StructuredContent is { } structured && JsonSerializer.SerializeToNode(structured, McpJson.Node) is JsonObject json
            ? json
            : new JsonObject { ["text"] = text };
        _logs?.CreateLogger<McpClientPool>().LogInformation("mcp {Server}/{Tool}: {Bytes} bytes in {Ms} ms", tool.Server, tool.Tool,
            Encoding.UTF8.GetByteCount(output.ToJsonString()), clock.ElapsedMilliseconds);
        return output;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections.Values) await connection.ResetAsync().ConfigureAwait(false);
    }

    /// <summary>The exception's message and its inner ones' (the SDK wraps the reason: "Failed to connect transport" around "No such file").</summary>
    private static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (var at = e; at is not null; at = at.InnerException)
            if (at.Message is { Length: > 0 } m && !messages.Any(seen => seen.Contains(m, StringComparison.Ordinal))) messages.Add(m.TrimEnd('.'));
        return string.Join(": ", messages);
    }

    private static string OneLine(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length > 400 ? line[..400] + "…" : line;
    }

    private IClientTransport Transport(McpServerOptions server, Action<string> stderr)
    {
        var timeout = TimeSpan.FromSeconds(server.TimeoutSeconds);
        if (server.TransportKind() == "http")
        {
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            if (server.ApiKeyVariable is { } variable)
                headers["Authorization"] = "Bearer " + (System.Environment.GetEnvironmentVariable(variable) is { Length: > 0 } key
                    ? key
                    : throw new ToolFailedException($"the environment variable {variable} (mcp.servers apiKeyVariable) is not set"));
            return new HttpClientTransport(new HttpClientTransportOptions
            {
                Name = server.Name,
                Endpoint = new Uri(server.Url!),
                TransportMode = HttpTransportMode.AutoDetect,
                ConnectionTimeout = timeout,
                AdditionalHeaders = headers,
            });
        }
        return new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = server.Name,
            Command = server.Command[0],
            Arguments = [.. server.Command.Skip(1)],
            WorkingDirectory = ToolsRoot(),
            EnvironmentVariables = ServerEnvironment(server),
            StandardErrorLines = stderr,
            ShutdownTimeout = TimeSpan.FromSeconds(2),
        });
    }

    private string ToolsRoot()
    {
        var root = workspace.ResolvePath(engine.Tools.Root);
        return Directory.Exists(root) ? root : workspace.Root;
    }

    /// <summary>Every inherited variable removed (null), then the harmless ones and those the entry's env names.</summary>
    private static Dictionary<string, string?> ServerEnvironment(McpServerOptions server)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in System.Environment.GetEnvironmentVariables().Keys.OfType<string>()) environment[name] = null;
        foreach (var (name, value) in EnvironmentScrubber.Build(System.Environment.GetEnvironmentVariable("PATH") ?? "", [])) environment[name] = value;
        foreach (var name in server.Env)
            if (System.Environment.GetEnvironmentVariable(name) is { } value) environment[name] = value;
        return environment;
    }

    private static string Version =>
        typeof(McpClientPool).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ToolNamePattern();

    /// <summary>One server's client, opened once (and again after it failed or died), and its tools.</summary>
    private sealed class Connection(McpServerOptions server)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private readonly Queue<string> _stderr = new();
        private McpClient? _client;
        private IReadOnlyList<ExternalTool> _tools = [];

        public McpServerOptions Server { get; } = server;

        public async Task<(McpClient Client, IReadOnlyList<ExternalTool> Tools)> OpenAsync(McpClientPool pool, CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_client is not null) return (_client, _tools);
                lock (_stderr) _stderr.Clear();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(Server.TimeoutSeconds));
                McpClient? client = null;
                try
                {
                    client = await McpClient.CreateAsync(pool.Transport(Server, Stderr),
                        new McpClientOptions { ClientInfo = new Implementation { Name = "minime", Title = "MiniMe", Version = Version } },
                        pool._logs, timeout.Token).ConfigureAwait(false);
                    var listed = await client.ListToolsAsync(cancellationToken: timeout.Token).ConfigureAwait(false);
                    _tools = [.. listed.Where(t => Server.Tools.Count == 0 || Server.Tools.Contains(t.Name, StringComparer.Ordinal))
                        .Where(t => ToolNamePattern().IsMatch(Server.ToolName(t.Name)))
                        .Select(t => new ExternalTool(Server.ToolName(t.Name), Server.Name, t.Name, t.Description ?? t.Name,
                            JsonNode.Parse(t.ProtocolTool.InputSchema.GetRawText()) as JsonObject ?? new JsonObject { ["type"] = "object" }, Server.ReadOnly))
                        .OrderBy(t => t.Name, StringComparer.Ordinal)];
                    _client = client;
                    return (client, _tools);
                }
                catch (Exception e) when (e is not ToolFailedException && !cancellationToken.IsCancellationRequested)
                {
                    if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
                    var why = e is OperationCanceledException ? $"no answer within {Server.TimeoutSeconds}s (timeoutSeconds)" : OneLine(Describe(e));
                    string? said;
                    lock (_stderr) said = _stderr.Count > 0 ? string.Join(" | ", _stderr) : null;
                    throw new ToolFailedException(said is null ? why : $"{why} (stderr: {OneLine(said)})", e);
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        private void Stderr(string line)
        {
            lock (_stderr)
            {
                _stderr.Enqueue(line);
                while (_stderr.Count > StderrLines) _stderr.Dequeue();
            }
        }

        public async Task ResetAsync()
        {
            await _gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_client is { } client)
                {
                    _client = null;
                    _tools = [];
                    try { await client.DisposeAsync().ConfigureAwait(false); }
                    catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException) { }
                }
            }
            finally
            {
                _gate.Release();
            }
        }
    }
}

/// <summary>Serialising JSON nodes for the SDK's calls.</summary>
internal static class McpJson
{
    public static JsonSerializerOptions Node { get; } = new(ModelContextProtocol.McpJsonUtilities.DefaultOptions);
}
