using System.Text.Json.Nodes;
using MiniMe.Context;
using MiniMe.Identity;
using MiniMe.Masks;
using MiniMe.Masks.Learned;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Lexical;
using MiniMe.Memory.Retrieval;
using MiniMe.ModelCalls;
using MiniMe.Tracing;

namespace MiniMe.Runs;

/// <summary>What a run starts from: the user's words, how it was started, and what the face adds to the context.</summary>
/// <param name="Text">The task (ask) or the message (chat).</param>
/// <param name="Mode">run, dry_run or chat: recorded in task_start.</param>
/// <param name="BudgetTokens">The context budget.</param>
/// <param name="Persona">How the persona block introduces MiniMe ("working for the user", "chatting with the user").</param>
public sealed record RunInput(string Text, string Mode, int BudgetTokens, string Persona = RunInput.WorkingPersona)
{
    public const string WorkingPersona = "working for the user";
    public const string ChattingPersona = "chatting with the user";

    /// <summary>Forces the domain instead of classifying it.</summary>
    public string? Domain { get; init; }

    /// <summary>Extra task_start fields (a chat's conversation id).</summary>
    public JsonObject? StartData { get; init; }

    /// <summary>Whether the text goes into the context as the task block (ask) or is sent as the user's message (chat).</summary>
    public bool TaskBlock { get; init; } = true;

    /// <summary>Called after task_start for context the face brings (a chat's summary of earlier turns).</summary>
    public Func<CancellationToken, Task<IReadOnlyList<ContextBlock>>>? Extra { get; init; }

    /// <summary>Extra context_assembly fields (a chat's history window).</summary>
    public JsonObject? ContextData { get; init; }

    /// <summary>Told how long retrieval took (the server's metrics).</summary>
    public Action<RetrievalResult>? Retrieved { get; init; }
}

/// <summary>What the shared stages decided: the profile, masks, memory and facts, principles and the assembled context.</summary>
public sealed record PreparedRun(
    string RunId,
    TaskProfile Profile,
    MaskWeights Masks,
    IReadOnlyList<WeightedPrinciple> Principles,
    RetrievalResult Retrieval,
    IReadOnlyList<FactHit> Facts,
    ContextAssembly Context);

/// <summary>
/// The stages every run shares, whichever face started it (`minime ask`, POST /v1/ask, a chat turn):
/// classify → masks → memory and facts → identity → context assembly, each traced under the run id.
/// </summary>
public sealed class RunPreparation(
    ITaskClassifier classifier,
    IMaskPolicy policy,
    HybridRetriever retriever,
    IContextBroker broker,
    IdentityDocument identity,
    TraceStore traces,
    IFactRetriever? facts = null,
    IReadOnlyList<IContextSource>? sources = null,
    string userId = "",
    MiniMe.Evidence.IEvidenceGraph? evidence = null)
{
    /// <summary>Facts about the user added to a run's context at most.</summary>
    public const int MaxFacts = 5;

    /// <summary>Boost per doubling of a chunk's earlier uses in a context (score * (1 + w * log2(1 + uses))).</summary>
    private const double ReuseWeight = 0.1;

    public string PolicyName => policy.Name;

    public IdentityDocument Identity => identity;

    public async Task<PreparedRun> PrepareAsync(string runId, RunInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var classifyStage = Stage("classify", runId);
        var classified = classifier.Classify(input.Text);
        var profile = input.Domain is { Length: > 0 } forced
            ? classified with { Domain = forced, DomainConfidence = 1, Signals = [.. classified.Signals, $"domain forced: {forced}"] }
            : classified;
        var start = new JsonObject
        {
            ["task"] = input.Text,
            ["mode"] = input.Mode,
        };
        foreach (var (key, value) in input.StartData ?? []) start[key] = value?.DeepClone();
        start["domain"] = profile.Domain;
        start["complexity"] = Math.Round(profile.Complexity, 4);
        start["budget_tokens"] = input.BudgetTokens;
        traces.AppendBatched(runId, TraceEventTypes.TaskStart, start);

        classifyStage?.Dispose();
        var extra = input.Extra is null ? [] : await input.Extra(cancellationToken).ConfigureAwait(false);
        var sourced = await SourcedBlocksAsync(new ContextSourceRequest(userId, runId, input.Text, profile), cancellationToken).ConfigureAwait(false);

        using var masksStage = Stage("masks", runId);
        var maskContext = MaskContext.From(identity, profile.Domain);
        var decision = MaskDecision.Of(policy, profile, maskContext);
        var masks = decision.Weights;
        traces.AppendBatched(runId, TraceEventTypes.MaskGeneration, RunTraceData.Masks(decision, profile, maskContext));

        masksStage?.Dispose();
        using var retrievalStage = Stage("retrieval", runId);
        var boosts = new RetrievalBoosts(profile.Domain, masks.RetrievalDomainWeight, masks.RetrievalRecencyWeight, ReuseWeight);
        // Words with nothing to search for ("do it", "thanks!") still run, with nothing retrieved.
        var searchable = FtsQueryBuilder.Build(input.Text) is not null;
        var retrieval = searchable
            ? await retriever.RetrieveAsync(new RetrievalRequest(input.Text, masks.RetrievalK, SearchFilter.None, boosts), cancellationToken).ConfigureAwait(false)
            : RetrievalResult.NoSearchableWords;
        input.Retrieved?.Invoke(retrieval);
        var factHits = facts is null || !searchable
            ? []
            : await facts.RetrieveAsync(input.Text, MaxFacts, cancellationToken).ConfigureAwait(false);
        var retrievalData = RunTraceData.Retrieval(retrieval, masks.RetrievalK, boosts);
        retrievalData["facts"] = new JsonArray([.. factHits.Select(f => (JsonNode?)new JsonObject
        {
            ["id"] = f.Fact.Id,
            ["category"] = f.Fact.Category,
            ["score"] = Math.Round(f.Score, 6),
        })]);
        traces.AppendBatched(runId, TraceEventTypes.Retrieval, retrievalData);

        retrievalStage?.Dispose();
        using var contextStage = Stage("context", runId);
        var principles = EffectiveIdentity.Compute(identity, profile, masks, input.Text);
        var blocks = Blocks(input, profile, principles, retrieval.Hits);
        var factBlocks = FactContextBlocks.From(factHits);
        if (input.TaskBlock) blocks.InsertRange(blocks.Count - 1, factBlocks);
        else blocks.AddRange(factBlocks);
        blocks.AddRange(extra);
        blocks.AddRange(sourced);
        var context = broker.Assemble(new ContextRequest(blocks, input.BudgetTokens));
        await RecordReuseAsync(retrieval.Hits, context, cancellationToken).ConfigureAwait(false);
        await RecordEvidenceAsync(runId, input, retrieval.Hits, factHits, context, cancellationToken).ConfigureAwait(false);
        var contextData = RunTraceData.Context(context);
        foreach (var (key, value) in input.ContextData ?? []) contextData[key] = value?.DeepClone();
        traces.AppendBatched(runId, TraceEventTypes.ContextAssembly, contextData);
        return new PreparedRun(runId, profile, masks, principles, retrieval, factHits, context);
    }

    /// <summary>
    /// Counts a use for each memory chunk the context kept (not those the budget dropped); a dry run
    /// builds the same context, so it counts too. A failed count (a locked or read-only memory) never
    /// fails the run.
    /// </summary>
    private async Task RecordReuseAsync(IReadOnlyList<SearchHit> hits, ContextAssembly context, CancellationToken cancellationToken)
    {
        var kept = context.Blocks.Where(b => b.Kept && b.Kind == ContextBlockKind.Memory).Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
        var used = hits.Where(h => kept.Contains(MemoryBlockId(h.Id))).Select(h => h.Id).Distinct().ToList();
        if (used.Count == 0) return;
        try
        {
            await retriever.RecordUseAsync(used, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            System.Diagnostics.Trace.TraceWarning($"minime: could not count the reuse of {used.Count} memory chunks: {e.Message}");
        }
    }

    /// <summary>
    /// The evidence of what the context kept (docs/evidence.md): each memory chunk and fact used_in the run, and a chat
    /// turn's run derived_from its conversation. The same blocks <see cref="RecordReuseAsync"/> counts; best effort.
    /// </summary>
    private async Task RecordEvidenceAsync(string runId, RunInput input, IReadOnlyList<SearchHit> hits, IReadOnlyList<FactHit> factHits,
        ContextAssembly context, CancellationToken cancellationToken)
    {
        if (evidence is null || !MiniMe.Tracing.RunId.IsValid(runId)) return;
        var kept = context.Blocks.Where(b => b.Kept).Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
        var run = MiniMe.Evidence.EvidenceNode.Run(runId);
        var at = DateTimeOffset.UtcNow;
        var edges = new List<MiniMe.Evidence.EvidenceEdge>();
        foreach (var id in hits.Where(h => kept.Contains(MemoryBlockId(h.Id))).Select(h => h.Id).Distinct())
            edges.Add(new(MiniMe.Evidence.EvidenceNode.Chunk(id), MiniMe.Evidence.EvidenceRelations.UsedIn, run, at));
        foreach (var id in factHits.Where(f => kept.Contains($"fact:{f.Fact.Id}")).Select(f => f.Fact.Id).Distinct())
            edges.Add(new(MiniMe.Evidence.EvidenceNode.Fact(id), MiniMe.Evidence.EvidenceRelations.UsedIn, run, at));
        if (input.StartData?["conversation_id"]?.GetValueKind() == System.Text.Json.JsonValueKind.String
            && input.StartData["conversation_id"]!.GetValue<string>() is { } conversation && MiniMe.Tracing.RunId.IsValid(conversation))
            edges.Add(new(run, MiniMe.Evidence.EvidenceRelations.DerivedFrom, MiniMe.Evidence.EvidenceNode.Conversation(conversation), at));
        await evidence.RecordAsync(edges, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Each registered <see cref="IContextSource"/>'s blocks; a source that fails is traced (error, with its name) and skipped.</summary>
    private async Task<List<ContextBlock>> SourcedBlocksAsync(ContextSourceRequest request, CancellationToken cancellationToken)
    {
        var blocks = new List<ContextBlock>();
        foreach (var source in sources ?? [])
        {
            try
            {
                blocks.AddRange(await source.BlocksAsync(request, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                traces.AppendBatched(request.RunId, TraceEventTypes.Error, new JsonObject
                {
                    ["type"] = e.GetType().Name,
                    ["message"] = $"context source {source.Name} skipped: {SecretRedactor.RedactText(e.Message)}",
                });
            }
        }
        return blocks;
    }

    private static string MemoryBlockId(long chunkId) => $"memory:{chunkId}";

    /// <summary>A span per stage of the run (OpenTelemetry, when something listens).</summary>
    private static System.Diagnostics.Activity? Stage(string name, string runId)
    {
        var activity = MiniMeTelemetry.ActivitySource.StartActivity("minime.stage " + name);
        activity?.SetTag("minime.run_id", runId);
        return activity;
    }

    private List<ContextBlock> Blocks(RunInput input, TaskProfile profile, IReadOnlyList<WeightedPrinciple> principles, IReadOnlyList<SearchHit> hits)
    {
        var persona = identity.Persona;
        var personaText = $"You are MiniMe, {input.Persona} as a {persona.Voice}. Tone: {persona.Tone}.";
        if (!input.TaskBlock) personaText += " Answer in Markdown.";
        // Each rule is a sentence: one without terminal punctuation gets a full stop, so rules never run together.
        var rules = persona.StyleRules.Select(r => r.Trim()).Where(r => r.Length > 0).Select(r => r[^1] is '.' or '!' or '?' or '…' ? r : r + ".").ToList();
        if (rules.Count > 0) personaText += "\nStyle: " + string.Join(" ", rules);
        if (persona.Values.Count > 0) personaText += "\nValues: " + string.Join("; ", persona.Values) + ".";
        var blocks = new List<ContextBlock> { new("persona", ContextBlockKind.Persona, personaText, 1.0) };

        // Domain-scoped principles are the domain's constraints; the rest are general principles.
        blocks.AddRange(EffectiveIdentity.ToContextBlocks(principles.Where(p => p.Layer != PrincipleScope.Domain)));
        blocks.AddRange(EffectiveIdentity.ToContextBlocks(principles.Where(p => p.Layer == PrincipleScope.Domain))
            .Select(b => b with { Kind = ContextBlockKind.DomainConstraints }));

        var best = hits.Count == 0 ? 1 : Math.Max(hits[0].Score, 1e-9);
        foreach (var hit in hits)
        {
            var where = hit.Heading is null ? hit.Source : $"{hit.Source} § {hit.Heading}";
            blocks.Add(new ContextBlock(MemoryBlockId(hit.Id), ContextBlockKind.Memory,
                $"From the user's memory ({where}, chars {hit.StartOffset}-{hit.EndOffset}):\n{hit.Text}", Math.Round(hit.Score / best, 4)));
        }
        if (input.TaskBlock)
            blocks.Add(new ContextBlock("task", ContextBlockKind.Task, $"Task ({profile.Domain}, complexity {profile.Complexity:0.00}): {input.Text}", 1.0));
        return blocks;
    }
}
