using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MiniMe.Context;

namespace MiniMe.ModelCalls;

/// <summary>
/// The model-call concerns as <see cref="ChatClientBuilder"/> steps. <see cref="UseMiniMeModelCalls"/>
/// composes them all in order; the single steps are for a pipeline of one's own. Arguments left null
/// are resolved from the builder's services when built with some (PriceTable, ITokenCounter,
/// ILoggerFactory, IMeterFactory), else defaults: no prices, the o200k tokenizer, no logging, one
/// process-wide meter.
/// </summary>
public static class ModelCallChatClientBuilderExtensions
{
    private static readonly Lazy<ITokenCounter> s_tokens = new(() => new TiktokenTokenCounter());

    /// <summary>
    /// Every model call through the built client, outside in: the run's hooks, run budget, agent_call trace, metrics,
    /// cost, usage, the replay recording, then Microsoft.Extensions.AI's logging and OpenTelemetry (GenAI spans on the
    /// "MiniMe" source, no message content) next to the provider. The budget is outermost so a call
    /// that overran it is traced before the run stops; usage is innermost of MiniMe's concerns so the
    /// cost, metrics, trace and budget all see the same (estimated, when the server sent none) tokens.
    /// </summary>
    public static ChatClientBuilder UseMiniMeModelCalls(
        this ChatClientBuilder builder, PriceTable? prices = null, ITokenCounter? tokens = null, ILoggerFactory? logging = null, IMeterFactory? meters = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .UseRunHooks()
            .UseRunBudget(tokens)
            .UseModelCallTrace()
            .UseModelCallMetrics(meters)
            .UseModelCallCost(prices)
            .UseModelCallUsage(tokens)
            .UseModelCallRecording()
            .UseModelCallLogging(logging)
            .UseOpenTelemetry(logging, MiniMeTelemetry.SourceName, otel => otel.EnableSensitiveData = false)
            .Use(inner => new ModelCallActivityChatClient(inner));
    }

    /// <summary>before_agent_call/after_agent_call hooks of the run in this async context (<see cref="MiniMe.Hooks.HookDispatcher.Current"/>), outermost: a vetoed call is never sent.</summary>
    public static ChatClientBuilder UseRunHooks(this ChatClientBuilder builder) =>
        builder.Use(inner => new MiniMe.Hooks.HookChatClient(inner));

    public static ChatClientBuilder UseRunBudget(this ChatClientBuilder builder, ITokenCounter? tokens = null) =>
        builder.Use((inner, services) => new RunBudgetChatClient(inner, Tokens(tokens, services)));

    public static ChatClientBuilder UseModelCallTrace(this ChatClientBuilder builder) =>
        builder.Use(inner => new ModelCallTraceChatClient(inner));

    public static ChatClientBuilder UseModelCallMetrics(this ChatClientBuilder builder, IMeterFactory? meters = null) =>
        builder.Use((inner, services) => new ModelMetricsChatClient(inner, meters ?? services.GetService<IMeterFactory>()));

    public static ChatClientBuilder UseModelCallCost(this ChatClientBuilder builder, PriceTable? prices = null) =>
        builder.Use((inner, services) => new ModelCostChatClient(inner, prices ?? services.GetService<PriceTable>() ?? PriceTable.Empty));

    public static ChatClientBuilder UseModelCallUsage(this ChatClientBuilder builder, ITokenCounter? tokens = null) =>
        builder.Use((inner, services) => new ModelUsageChatClient(inner, Tokens(tokens, services)));

    /// <summary>Records each call of a run (request, hash, response) for `minime replay` (<see cref="MiniMe.Replay.ModelCallRecordChatClient"/>).</summary>
    public static ChatClientBuilder UseModelCallRecording(this ChatClientBuilder builder) =>
        builder.Use(inner => new MiniMe.Replay.ModelCallRecordChatClient(inner));

    /// <summary>Microsoft.Extensions.AI's <c>UseLogging</c> when there is a logger factory (given or in the services); nothing otherwise.</summary>
    public static ChatClientBuilder UseModelCallLogging(this ChatClientBuilder builder, ILoggerFactory? logging = null) =>
        builder.Use((inner, services) => new ChatClientBuilder(inner)
            .UseLogging(logging ?? services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance)
            .Build(services));

    private static ITokenCounter Tokens(ITokenCounter? tokens, IServiceProvider services) =>
        tokens ?? services.GetService<ITokenCounter>() ?? s_tokens.Value;
}
