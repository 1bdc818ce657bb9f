using System.Text.Json.Nodes;
using MiniMe.Hooks;

namespace MiniMe.Runs;

/// <summary>The before_run and after_run hook points of every run (ask, the agent team, workflows), written once (docs/hooks.md).</summary>
internal static class RunHooks
{
    /// <summary>before_run: a deny stops the run (<see cref="HookVetoedException"/>); a patch of "task" returns what the run works on instead.</summary>
    /// <param name="payload">What the hooks are told besides the task (mode, domain, budget, workflow).</param>
    public static async Task<string> BeforeAsync(HookDispatcher hooks, string runId, string task, JsonObject payload, CancellationToken cancellationToken)
    {
        if (hooks.IsEmpty) return task;
        payload["task"] = task;
        var outcome = await hooks.BeforeRunAsync(runId, payload, cancellationToken).ConfigureAwait(false);
        if (outcome.Denied) throw new HookVetoedException(HookEvents.BeforeRun, outcome.Hook!, outcome.Reason!);
        return outcome.Patched && outcome.Payload["task"] is JsonValue patched && patched.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text)
            ? text
            : task;
    }

    /// <summary>after_run: told how the run ended, just before run_end; its verdict is traced only.</summary>
    public static async Task AfterAsync(HookDispatcher hooks, string runId, string status, CancellationToken cancellationToken)
    {
        if (hooks.IsEmpty) return;
        await hooks.AfterRunAsync(runId, new JsonObject { ["status"] = status }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A run that ended on this exception ends with this status in run_end.</summary>
    public static string StatusOf(Exception e) => e switch
    {
        MiniMe.Agents.RunBudgetExceededException => "budget_exceeded",
        HookVetoedException => "vetoed",
        _ => "error",
    };

    /// <summary>after_run is not told about a run its own before_run vetoed.</summary>
    public static bool TellsAfterRun(Exception e) => e is not HookVetoedException { Event: HookEvents.BeforeRun };
}
