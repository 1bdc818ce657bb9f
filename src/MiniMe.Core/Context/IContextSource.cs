using MiniMe.Masks;

namespace MiniMe.Context;

/// <summary>What a context source is told about the run it may add blocks to.</summary>
/// <param name="UserId">Whose run it is (a source answers from that user's data only).</param>
/// <param name="Text">The task (ask) or the message (chat).</param>
/// <param name="Profile">The task's domain, complexity and signals, as classified.</param>
public sealed record ContextSourceRequest(string UserId, string RunId, string Text, TaskProfile Profile);

/// <summary>
/// An extension point of the run pipeline: something besides memory and facts that knows what
/// belongs in a run's context (the user's goals, the active knowledge packs). Registered through the
/// composition root (<c>services.AddSingleton&lt;IContextSource, ...&gt;()</c>); every run asks each
/// source once, after classification, and the context broker fits their blocks under the budget with
/// the rest. A source that fails is traced and skipped: it never fails the run.
/// </summary>
public interface IContextSource
{
    /// <summary>Short name for the trace (goals, packs).</summary>
    string Name { get; }

    Task<IReadOnlyList<ContextBlock>> BlocksAsync(ContextSourceRequest request, CancellationToken cancellationToken);
}
