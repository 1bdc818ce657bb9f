using System.ComponentModel;
using MiniMe.Memory;
using MiniMe.Memory.Lexical;
using MiniMe.Memory.Retrieval;
using MiniMe.Server.Endpoints;
using MiniMe.Server.Facts;
using MiniMe.Server.Goals;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MiniMe.Server.Mcp;

/// <summary>A retrieved chunk as memory_search answers it.</summary>
public sealed record McpHit(long Id, string Source, string? Heading, string Domain, IReadOnlyList<string> Tags, double Score, string Text);

public sealed record McpSearchResult(string Query, string Mode, double ElapsedMs, IReadOnlyList<McpHit> Hits);

public sealed record McpFactList(IReadOnlyList<FactView> Facts);

public sealed record McpGoalList(IReadOnlyList<Goal> Goals);

public sealed record McpRunList(IReadOnlyList<RunView> Runs);

/// <summary>
/// The read-only tools: search the memory, list facts, goals and runs, read a trace. Each acts for the
/// caller (<see cref="McpCaller"/>) through the same services as /v1 and the CLI.
/// </summary>
[McpServerToolType]
public sealed class MemoryTools(McpCaller caller, IUserFacts facts, GoalStore goals)
{
    public const int MaxK = 100;

    [McpServerTool(Name = "memory_search", Title = "Search MiniMe's memory", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Search the user's MiniMe memory (imported notes, docs and code) and return the best matching chunks, best first, " +
        "each with its id, source file, heading, domain, tags, score and text. Hybrid search: BM25 plus embeddings when MiniMe has an embedding model.")]
    public Task<McpSearchResult> SearchAsync(
        RequestContext<CallToolRequestParams> request,
        [Description("What to look for, in words (e.g. \"retry policy for the HTTP client\").")] string query,
        [Description("How many chunks to return, 1-100.")] int k = 10,
        [Description("Only chunks of this domain (e.g. backend, security); leave out for all.")] string? domain = null,
        [Description("hybrid (default: BM25 plus embeddings when configured), lexical (BM25 only) or dense (embeddings only).")] string mode = "hybrid",
        CancellationToken cancellationToken = default) =>
        McpCaller.Guard(async () =>
        {
            if (string.IsNullOrWhiteSpace(query)) throw new InvalidInputException("The query is empty; give some words to search for.");
            if (FtsQueryBuilder.Build(query) is null) throw new InvalidInputException($"The query '{query}' has no searchable words.");
            if (k is < 1 or > MaxK) throw new InvalidInputException($"k must be between 1 and {MaxK} (got {k}).");
            var retrieval = mode.Trim().ToLowerInvariant() switch
            {
                "" or "hybrid" => RetrievalMode.Hybrid,
                "lexical" => RetrievalMode.Lexical,
                "dense" => RetrievalMode.Dense,
                _ => throw new InvalidInputException($"mode '{mode}' is unknown; use hybrid, lexical or dense."),
            };
            var retriever = await caller.Space(request).RetrieverAsync(cancellationToken).ConfigureAwait(false);
            var filter = domain is { Length: > 0 } ? new SearchFilter(Domain: domain.Trim().ToLowerInvariant()) : SearchFilter.None;
            var result = await retriever.RetrieveAsync(new RetrievalRequest(query, k, filter, RetrievalBoosts.None, retrieval), cancellationToken).ConfigureAwait(false);
            return new McpSearchResult(query, result.Mode, Math.Round(result.ElapsedMs, 3),
                [.. result.Hits.Select(h => new McpHit(h.Id, h.Source, h.Heading, h.Domain, h.Tags, Math.Round(h.Score, 6), h.Text))]);
        });

    [McpServerTool(Name = "facts_list", Title = "List facts about the user", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("List the facts MiniMe knows about the user (preferences, tools, team, ...), most recently changed first: " +
        "id, text, category, source, confidence, importance, how often seen.")]
    public Task<McpFactList> FactsListAsync(
        RequestContext<CallToolRequestParams> request,
        [Description("Only facts of this category (e.g. preference, tools); leave out for all.")] string? category = null,
        [Description("At most this many facts, 1-1000.")] int limit = 50,
        CancellationToken cancellationToken = default) =>
        McpCaller.Guard(async () =>
        {
            var list = await facts.ListAsync(caller.Space(request), category is { Length: > 0 } ? category.Trim() : null, Limits.Clamp(limit, 50, 1000), cancellationToken).ConfigureAwait(false);
            return new McpFactList(list);
        });

    [McpServerTool(Name = "goals_list", Title = "List the user's goals", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("List the user's goals, nearest deadline first: title, description, status, progress (0-100), deadline (YYYY-MM-DD) and milestones.")]
    public McpGoalList GoalsList(
        RequestContext<CallToolRequestParams> request,
        [Description("active (default), done, archived or all.")] string status = GoalStatuses.Active) =>
        McpCaller.Guard(() =>
        {
            var wanted = status.Trim().ToLowerInvariant();
            return new McpGoalList(goals.List(caller.Space(request).UserId, wanted is "all" ? null : GoalStatuses.Parse(wanted)));
        });

    [McpServerTool(Name = "runs_list", Title = "List past runs", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("List the user's MiniMe runs (chat turns and asks), newest first: run id, start, task, mode, domain, status, events, tokens, cost and time. " +
        "trace_get reads one run's events.")]
    public McpRunList RunsList(
        RequestContext<CallToolRequestParams> request,
        [Description("At most this many runs, 1-1000.")] int limit = 20) =>
        McpCaller.Guard(() =>
        {
            var traces = caller.Space(request).Traces;
            return new McpRunList([.. traces.List(Limits.Clamp(limit, 20, 1000)).Select(r => RunEndpoints.View(r.RunId, traces.Read(r.RunId)))]);
        });

    [McpServerTool(Name = "trace_get", Title = "Read a run's trace", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Read one run's trace: the run's summary and every event (task, context, retrieval, model calls, tools, answer) with its data, " +
        "secrets redacted as they were stored. Run ids come from runs_list.")]
    public RunDetail TraceGet(
        RequestContext<CallToolRequestParams> request,
        [Description("The run id, as runs_list shows it.")] string id) =>
        McpCaller.Guard(() => RunEndpoints.Detail(caller.Space(request).Traces, id, "runs_list lists yours"));
}
