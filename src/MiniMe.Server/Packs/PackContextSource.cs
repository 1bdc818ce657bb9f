using MiniMe.Context;

namespace MiniMe.Server.Packs;

/// <summary>
/// Adds the user's active knowledge packs whose topics match the task to the run's context
/// (<see cref="PackSelector"/> says which and what). Each block's id names the pack and version
/// ("pack:postgres-ops@1.0.0:rule:2"), the first one the topic that matched
/// ("pack:postgres-ops@1.0.0:topic:vacuum"), so the context_assembly trace shows which packs joined and why.
/// </summary>
public sealed class PackContextSource(PackService packs) : IContextSource
{
    public string Name => "packs";

    public Task<IReadOnlyList<ContextBlock>> BlocksAsync(ContextSourceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var active = packs.For(request.UserId).ActivePacks();
        if (active.Count == 0) return Task.FromResult<IReadOnlyList<ContextBlock>>([]);
        var blocks = PackSelector.Match(active, request.Text, request.Profile).SelectMany(m => PackSelector.Blocks(m, request.Text)).ToList();
        return Task.FromResult<IReadOnlyList<ContextBlock>>(blocks);
    }
}
