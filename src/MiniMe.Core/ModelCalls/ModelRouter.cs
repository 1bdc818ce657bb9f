using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;

namespace MiniMe.ModelCalls;

/// <summary>
/// The router of config.yaml (docs/models.md): an explicit model wins, then the first router rule
/// whose conditions all hold, then llm.agents, then the default model. Every named model's pipeline
/// is built once, on first use, by <c>pipelineOf</c>; the client of a chosen model is a
/// <see cref="FallbackChatClient"/> over it and llm.fallbacks (without the chosen one).
/// </summary>
public sealed class ModelRouter : IModelRouter
{
    private readonly IReadOnlyList<NamedModel> _models;
    private readonly LlmOptions _llm;
    private readonly RouterOptions _router;
    private readonly Func<NamedModel, IChatClient> _pipelineOf;
    private readonly Func<Exception, ModelFailure?> _classify;
    private readonly ConcurrentDictionary<string, Lazy<IChatClient>> _pipelines = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FallbackChatClient> _clients = new(StringComparer.Ordinal);

    /// <param name="models">The named models (<see cref="NamedModels.Of"/>); the first is the default unless one is named <c>default</c>.</param>
    /// <param name="pipelineOf">Builds a named model's client with the model pipeline around it.</param>
    /// <param name="classify">Which failures go on to the next fallback.</param>
    public ModelRouter(IReadOnlyList<NamedModel> models, LlmOptions llm, RouterOptions router, Func<NamedModel, IChatClient> pipelineOf, Func<Exception, ModelFailure?> classify)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(llm);
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(pipelineOf);
        ArgumentNullException.ThrowIfNull(classify);
        if (models.Count == 0) throw new ConfigException("No LLM model is configured; set llm.provider and llm.model, or declare llm.models.", category: ErrorCategory.ModelNotConfigured);
        _models = models;
        _llm = llm;
        _router = router;
        _pipelineOf = pipelineOf;
        _classify = classify;
        DefaultModel = models.FirstOrDefault(m => m.Name == NamedModels.DefaultName)?.Name ?? models[0].Name;
        Models = [DefaultModel, .. models.Select(m => m.Name).Where(n => n != DefaultModel)];
    }

    public IReadOnlyList<string> Models { get; }

    public string DefaultModel { get; }

    public string Choose(ModelRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Model is { Length: > 0 } explicitModel) return Known(explicitModel.Trim(), "the requested model");
        foreach (var rule in _router.Rules)
            if (Matches(rule.When, request)) return Known(rule.Model.Trim(), "router.rules[].model");
        if (request.Agent is { } agent && _llm.Agents.Assigned().FirstOrDefault(a => string.Equals(a.Agent, agent, StringComparison.OrdinalIgnoreCase)).Model is { } assigned)
            return Known(assigned.Trim(), $"llm.agents.{agent}");
        return DefaultModel;
    }

    public IChatClient Client(ModelRequest request) => ClientOf(Choose(request));

    /// <summary>The client of one named model: it, then llm.fallbacks in order.</summary>
    public IChatClient ClientOf(string name) => _clients.GetOrAdd(Known(name, "the model"), chosen =>
        new FallbackChatClient(
            [Route(chosen), .. _llm.Fallbacks.Select(f => f.Trim()).Where(f => f != chosen).Distinct(StringComparer.Ordinal).Select(Route)],
            _classify));

    private ModelRoute Route(string name)
    {
        var model = _models.First(m => m.Name == name);
        var pipeline = _pipelines.GetOrAdd(name, _ => new Lazy<IChatClient>(() => _pipelineOf(model))).Value;
        return new ModelRoute(name, pipeline, model.Options.Model is { Length: > 0 } id ? id.Trim() : null);
    }

    private static bool Matches(RouterCondition when, ModelRequest request)
    {
        if (when.Agent is null && when.NodeType is null && when.Complexity is null && when.BudgetBelowTokens is null) return false;
        if (when.Agent is { } agent && !string.Equals(agent.Trim(), request.Agent, StringComparison.OrdinalIgnoreCase)) return false;
        if (when.NodeType is { } type && !string.Equals(type.Trim(), request.NodeType, StringComparison.OrdinalIgnoreCase)) return false;
        if (when.Complexity is { } band && (request.Complexity is not { } c || NamedModels.Band(c) != band)) return false;
        if (when.BudgetBelowTokens is { } below && (request.BudgetLeftTokens is not { } left || left >= below)) return false;
        return true;
    }

    private string Known(string name, string where) =>
        _models.Any(m => m.Name == name)
            ? name
            : throw new ConfigException($"{where}: unknown model '{name}'; known models: {string.Join(", ", Models)}", category: ErrorCategory.InvalidSettings);
}

/// <summary>
/// The engine's IChatClient: each call goes to the client <see cref="IModelRouter"/> chooses for the
/// ambient request (<see cref="ModelRouting.Ambient"/>: the calling agent, the run's budget left, the
/// task's complexity, a workflow node's type and model). Its services (<see cref="ModelPipeline.IsBuilt"/>)
/// are the default model's pipeline's.
/// </summary>
public sealed class RoutedChatClient(IModelRouter router) : DelegatingChatClient(router.Client(new ModelRequest()))
{
    public IModelRouter Router { get; } = router;

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Router.Client(ModelRouting.Ambient()).GetResponseAsync(messages, options, cancellationToken);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Router.Client(ModelRouting.Ambient()).GetStreamingResponseAsync(messages, options, cancellationToken);

    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(Router) ? Router : base.GetService(serviceType, serviceKey);
}
