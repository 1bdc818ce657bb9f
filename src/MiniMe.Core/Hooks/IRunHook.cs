namespace MiniMe.Hooks;

/// <summary>
/// An in-process hook: an extension registered through the composition root
/// (<c>services.AddSingleton&lt;IRunHook, MyHook&gt;()</c>). It is told about every event it
/// <see cref="Handles"/>, before the config.yaml program hooks, and answers allow, deny (with a reason)
/// or a JSON merge patch of the event's payload.
/// </summary>
public interface IRunHook
{
    /// <summary>The name in the trace's hook events and in a deny the user sees.</summary>
    string Name { get; }

    /// <summary>Whether the hook wants this event (default: every event).</summary>
    bool Handles(HookEvent e) => true;

    ValueTask<HookVerdict> OnEventAsync(HookEvent e, CancellationToken cancellationToken);
}
