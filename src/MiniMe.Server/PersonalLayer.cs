using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MiniMe.Configuration;
using MiniMe.Context;
using MiniMe.Hosting;
using MiniMe.Server.Ask;
using MiniMe.Server.Auth;
using MiniMe.Server.Chat;
using MiniMe.Server.Conversations;
using MiniMe.Server.Facts;
using MiniMe.Server.Goals;
using MiniMe.Server.Metrics;
using MiniMe.Server.Packs;
using MiniMe.Server.Profiles;
using MiniMe.Server.Schedules;
using MiniMe.Server.Storage;

namespace MiniMe.Server;

/// <summary>
/// The personal layer over the engine: conversations and chat, proposals waiting for a decision, API
/// keys, and what later joins them (goals, packs, schedules), all in the server database. Registered
/// once, here, for both faces: `minime serve` and the CLI commands that work on the same data
/// (`minime chat`, `minime goals`, ...), so a conversation started in one continues in the other.
/// </summary>
public static class PersonalLayer
{
    /// <summary>
    /// Adds the personal layer's services. The server section of config.yaml is read on first use unless
    /// the host registered its <see cref="ServerOptions"/> already (`serve` does, with --urls applied).
    /// </summary>
    public static MiniMeBuilder AddPersonalLayer(this MiniMeBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton(sp => ServerOptions.Load(sp.GetRequiredService<Workspace>()));
        // server.db, or PostgreSQL schema minime_server with memory.store postgres.
        services.TryAddSingleton(sp => ServerDatabase.For(sp.GetRequiredService<Workspace>(), sp.GetRequiredService<MiniMeOptions>().Memory));
        services.AddMetrics();
        services.TryAddSingleton<ServerMetrics>();
        services.TryAddSingleton<ApiKeyStore>();
        services.TryAddSingleton<ConversationStore>();
        services.TryAddSingleton<ProposalStore>();
        services.TryAddSingleton<ConversationSummarizer>();
        services.TryAddSingleton<ChatService>();
        services.TryAddSingleton<IUserFacts, FactServiceUserFacts>();
        services.TryAddSingleton<IAskService, AskService>();
        services.TryAddSingleton<IProposalDecider, ToolProposalDecider>();
        // Knowledge packs: files under each user's packs/ (no server.db tables); active ones join runs by topic.
        services.TryAddSingleton<PackService>();
        services.AddSingleton<MiniMe.Context.IContextSource, PackContextSource>();
        // Goals: the store, deadline alerts (goals.alertDays), notifications, suggestions, and the goals in every run's context.
        services.TryAddSingleton(sp => GoalOptions.Load(sp.GetRequiredService<Workspace>()));
        services.TryAddSingleton<GoalNotifier>();
        services.TryAddSingleton<GoalStore>();
        services.TryAddSingleton<GoalAlerts>();
        services.TryAddSingleton<GoalNotifications>();
        services.TryAddSingleton<GoalLinkCheck>();
        services.TryAddSingleton<GoalSuggester>();
        services.AddSingleton<MiniMe.Context.IContextSource, GoalContextSource>();
        services.TryAddSingleton<ProfileService>();
        // Schedules: the store and the service that adds, lists, removes and runs them (schedules.timeZone);
        // the scheduler that runs them on time is `minime serve`'s alone (MiniMeServer).
        services.TryAddSingleton(sp => ScheduleOptions.Load(sp.GetRequiredService<Workspace>()));
        services.TryAddSingleton<ScheduleStore>();
        services.TryAddSingleton<ScheduleService>();
        services.TryAddSingleton(sp => Signals.SignalOptions.Load(sp.GetRequiredService<Workspace>())); // signal.publishBadge
        services.TryAddSingleton<Signals.SignalService>(); // `minime signal|badge`, GET /v1/signal and /v1/badge.svg
        // Sharing contracts: k-anonymous exports under a contract, and the registry (share/registry.json) of contracts, exports and revocations.
        services.TryAddSingleton<Sharing.ShareService>(); // `minime share export|list|revoke`
        // Reflection: the panel of perspectives, synthesis and disagreement index (reflect.*), for `minime reflect` and POST /v1/reflect.
        services.TryAddSingleton(sp => Reflection.ReflectionOptions.Load(sp.GetRequiredService<Workspace>()));
        services.TryAddSingleton<Reflection.ReflectionService>();
        // MCP client: mcp.servers, connected on first need; their tools join the agents' (readOnly servers) or the approval gate's.
        services.TryAddSingleton(sp => Mcp.McpOptions.Load(sp.GetRequiredService<Workspace>()));
        services.TryAddSingleton<Mcp.McpClientPool>();
        services.TryAddSingleton<MiniMe.Tools.External.IExternalToolSource>(sp => sp.GetRequiredService<Mcp.McpClientPool>());
        return builder;
    }
}
