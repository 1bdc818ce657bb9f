using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace MiniMe.Hosting;

/// <summary>The model pipeline: the inner client wrapped once, in one order, for every face and every caller.</summary>
internal static class ModelPipeline
{
    public static void Register(IServiceCollection services, Func<IServiceProvider, IChatClient> inner) =>
        services.AddChatClient(inner);
}
