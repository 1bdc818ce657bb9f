using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MiniMe.Agents;
using MiniMe.Configuration;
using MiniMe.Context;
using MiniMe.Hosting.Users;
using MiniMe.Masks;
using MiniMe.Masks.Learned;
using Microsoft.Extensions.Logging;
using MiniMe.ModelCalls;
using MiniMe.Tools.Trust;

namespace MiniMe.Hosting;

/// <summary>
/// The one composition root of MiniMe: the CLI resolves from it per invocation, `minime serve` for
/// the life of the server. Everything is created on first use, so a command that only reads traces
/// never opens the database, loads a model or connects to a provider.
/// </summary>
public static class MiniMeServiceCollectionExtensions
{
    /// <summary>
    /// Registers the engine over one workspace: its options, the memory store factory (memory.store,
    /// per user), embeddings, the model pipeline (when llm.provider names one), the run pipelines of
    /// ask and chat, the tools, traces and feedback — the last four per user, in <see cref="UserSpaces"/>.
    /// </summary>
    public static MiniMeBuilder AddMiniMe(this IServiceCollection services, Workspace workspace, MiniMeOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(workspace);
        services.AddSingleton(options);
        var settings = new EngineSettings();
        services.AddSingleton(settings);
        services.TryAddSingleton<TelemetryExport>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => TrustStore.ForUser());
        services.TryAddSingleton<ITokenCounter, TiktokenTokenCounter>();
        services.TryAddSingleton<ITaskClassifier, KeywordTaskClassifier>();
        // masks.policy: the heuristic, or the trained model of models/ (docs/learning.md); a model that cannot be used is warned about once and the heuristic runs.
        services.TryAddSingleton(_ => new ModelRegistry(workspace.ModelsDirectory));
        services.TryAddSingleton<IMaskPolicy>(sp =>
        {
            var log = sp.GetService<ILoggerFactory>()?.CreateLogger<MaskPolicySelector>();
            return new MaskPolicySelector(sp.GetRequiredService<ModelRegistry>(), options.Masks.Policy, new HeuristicMaskPolicy(),
                log is null ? null : warning => log.LogWarning("Mask policy: {Warning}", warning));
        });
        services.TryAddSingleton<IContextBroker>(sp => new ContextBroker(sp.GetRequiredService<ITokenCounter>()));
        services.TryAddSingleton<IMemoryStoreFactory, MemoryStoreFactory>();
        services.TryAddSingleton<EmbeddingModel>();
        services.TryAddSingleton<ModelConnection>();
        services.TryAddSingleton(_ => PriceTable.From(options.Llm));
        services.TryAddSingleton(_ => AgentTeamOptions.From(options.Llm, options.Agents));
        services.TryAddSingleton<UserSpaces>();
        services.AddScoped<UserScope>();
        services.AddScoped<UserSpace>();
        var builder = new MiniMeBuilder(services, settings, options);
        if (NamedModels.IsConfigured(options.Llm))
            builder.UseChatClient((sp, model) => sp.GetRequiredService<ModelConnection>().For(model.Name).Chat);
        return builder;
    }
}

/// <summary>What <see cref="MiniMeServiceCollectionExtensions.AddMiniMe"/> returns: the engine's registrations, to adjust before the provider is built.</summary>
public sealed class MiniMeBuilder(IServiceCollection services, EngineSettings settings, MiniMeOptions options)
{
    public IServiceCollection Services { get; } = services;

    /// <summary>
    /// The model behind every call (agents, chat, summaries): the provider's client by default, a
    /// scripted one in tests, the same for every named model. It is wrapped in the model pipeline either way.
    /// </summary>
    public MiniMeBuilder UseChatClient(Func<IServiceProvider, IChatClient> inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        IChatClient? shared = null;
        return UseChatClient((sp, _) => shared ??= inner(sp));
    }

    /// <summary>
    /// The client of each named model (llm.models, or <c>default</c>): the provider's by default. The
    /// one <see cref="IModelRouter"/> chooses among them per call, each wrapped in its own model
    /// pipeline (budget, trace, metrics, its prices, usage, logging, OpenTelemetry); the registered
    /// IChatClient routes every call through it (<see cref="RoutedChatClient"/>).
    /// </summary>
    public MiniMeBuilder UseChatClient(Func<IServiceProvider, NamedModel, IChatClient> inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Services.RemoveAll<IChatClient>();
        Services.RemoveAll<IModelRouter>();
        Services.AddSingleton<IModelRouter>(sp =>
        {
            sp.GetRequiredService<TelemetryExport>().EnsureStarted();
            var models = NamedModels.Of(options.Llm);
            // A client given without any model configured (tests): it is the default model.
            if (models.Count == 0) models = [new NamedModel(NamedModels.DefaultName, options.Llm, null, "llm")];
            var prices = sp.GetService<PriceTable>() ?? PriceTable.From(options.Llm);
            return new ModelRouter(models, options.Llm, options.Router,
                model => new ChatClientBuilder(inner(sp, model))
                    .UseMiniMeModelCalls(model.Prices is { } own ? new PriceTable([own, .. options.Llm.Prices]) : prices)
                    .Build(sp),
                MiniMe.Providers.ProviderErrors.Fallback);
        });
        Services.AddSingleton<IChatClient>(sp => new RoutedChatClient(sp.GetRequiredService<IModelRouter>()));
        return this;
    }

    public MiniMeBuilder UseChatClient(IChatClient inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return UseChatClient(_ => inner);
    }

    /// <summary>The trust file that decides whether the workspace's tools may run (default: the user's).</summary>
    public MiniMeBuilder UseTrust(TrustStore trust)
    {
        ArgumentNullException.ThrowIfNull(trust);
        Services.RemoveAll<TrustStore>();
        Services.AddSingleton(trust);
        return this;
    }

    /// <summary>An embedding generator instead of embeddings.* (tests; hosts with their own model).</summary>
    public MiniMeBuilder UseEmbeddings(IEmbeddingGenerator<string, Embedding<float>> generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        Services.RemoveAll<EmbeddingModel>();
        Services.AddSingleton(new EmbeddingModel(() => generator));
        return this;
    }

    /// <summary>--force: start an empty memory in a 0-byte memory.db instead of refusing it.</summary>
    public MiniMeBuilder AllowEmptyMemory(bool allow = true)
    {
        settings.AllowEmptyMemory = allow;
        return this;
    }

    /// <summary>The host runs for a long time and searches often (the server): see <see cref="EngineSettings.LongRunning"/>.</summary>
    public MiniMeBuilder LongRunning(bool longRunning = true)
    {
        settings.LongRunning = longRunning;
        return this;
    }

    /// <summary>The host exports telemetry itself (the server's OpenTelemetry): the engine starts no OTLP exporter of its own.</summary>
    public MiniMeBuilder UseHostTelemetry()
    {
        settings.OwnTelemetry = false;
        return this;
    }
}
