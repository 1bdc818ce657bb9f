using Microsoft.Extensions.AI;
using MiniMe.Configuration;

namespace MiniMe.ModelCalls;

/// <summary>
/// What the router is asked for one model call: who calls (an agent, or a workflow node's type), an
/// explicit named model (a workflow node's <c>model:</c>), the task's complexity (0-1, from the
/// classifier) and the tokens left of the run's budget. Null fields say nothing.
/// </summary>
public sealed record ModelRequest(
    string? Agent = null,
    string? NodeType = null,
    string? Model = null,
    double? Complexity = null,
    long? BudgetLeftTokens = null);

/// <summary>
/// Picks the client of a model call (docs/models.md): the request's explicit model, else the first
/// matching rule of router.rules, else llm.agents, else the default model. Each named model has its own
/// model pipeline (prices, budget, trace, metrics) and the client returned tries llm.fallbacks after a
/// transient failure. The extension point for hosts with other ways to choose: register one before
/// AddMiniMe's (TryAdd) registration.
/// </summary>
public interface IModelRouter
{
    /// <summary>Every named model, the default first.</summary>
    IReadOnlyList<string> Models { get; }

    /// <summary>The model of calls nothing else decides.</summary>
    string DefaultModel { get; }

    /// <summary>The named model for <paramref name="request"/>.</summary>
    /// <exception cref="ConfigException">The request names a model that is not configured.</exception>
    string Choose(ModelRequest request);

    /// <summary>The client for <paramref name="request"/>: its chosen model's pipeline, then the fallbacks.</summary>
    IChatClient Client(ModelRequest request);
}

/// <summary>
/// Hints for the router that the model-call description (<see cref="ModelCallInfo"/>) does not carry,
/// flowing with the async context like <see cref="ModelCall"/>: the ask pipeline sets the task's
/// complexity for the whole run, a workflow node its type and <c>model:</c>. Inner scopes add to outer ones.
/// </summary>
public sealed class ModelRouting : IDisposable
{
    private static readonly AsyncLocal<ModelRouting?> s_current = new();
    private readonly ModelRouting? _previous;

    private ModelRouting(string? nodeType, string? model, double? complexity, ModelRouting? previous)
    {
        _previous = previous;
        NodeType = nodeType ?? previous?.NodeType;
        Model = model ?? previous?.Model;
        Complexity = complexity ?? previous?.Complexity;
    }

    public static ModelRouting? Current => s_current.Value;

    public string? NodeType { get; }
    public string? Model { get; }
    public double? Complexity { get; }

    /// <summary>Routes the model calls in this async context with these hints (null: the outer scope's) until disposed.</summary>
    public static ModelRouting Begin(string? nodeType = null, string? model = null, double? complexity = null)
    {
        var scope = new ModelRouting(nodeType, model, complexity, s_current.Value);
        s_current.Value = scope;
        return scope;
    }

    /// <summary>The request for the call being made now: the ambient <see cref="ModelCall"/> (agent, budget left) and these hints.</summary>
    public static ModelRequest Ambient()
    {
        var info = ModelCall.Current?.Info;
        var hints = s_current.Value;
        return new ModelRequest(info?.Agent, hints?.NodeType, hints?.Model, hints?.Complexity, info?.Meter?.Remaining);
    }

    public void Dispose()
    {
        if (ReferenceEquals(s_current.Value, this)) s_current.Value = _previous;
    }
}
