using Cronos;
using Microsoft.Extensions.Options;
using MiniMe.Configuration;

namespace MiniMe.Server.Schedules;

/// <summary>
/// A recurring action of one user: a cron expression (read in <see cref="ScheduleOptions.TimeZone"/>)
/// and what each run does: a chat turn (kind chat, in the schedule's own conversation), a task (kind
/// ask, whose proposed actions wait for approval) or a workflow run (kind workflow, <see cref="Workflow"/>
/// with the prompt as its task; its actions wait for approval too). The last_* fields tell how the latest run went.
/// </summary>
/// <param name="NextRunAt">When the scheduler of `minime serve` runs it next (UTC).</param>
/// <param name="ConversationId">Kind chat: the conversation its runs continue (made by the first run).</param>
/// <param name="LastStatus">running, completed, completed_with_violations, dry_run or failed; null before the first run.</param>
/// <param name="LastDetail">What the last run left: its answer's start, the proposals waiting, or why it failed.</param>
/// <param name="Workflow">Kind workflow: the workflow each run runs (builtin:NAME or a name in the workspace's workflows/).</param>
public sealed record Schedule(
    string Id,
    string Name,
    string Cron,
    string Kind,
    string Prompt,
    string? ConversationId,
    DateTimeOffset CreatedAt,
    DateTimeOffset NextRunAt,
    DateTimeOffset? LastRunAt,
    string? LastRunId,
    string? LastStatus,
    string? LastDetail,
    string? Workflow = null);

public static class ScheduleKinds
{
    public const string Chat = "chat";
    public const string Ask = "ask";
    public const string Workflow = "workflow";

    public static string Parse(string? kind) => kind?.Trim().ToLowerInvariant() switch
    {
        null or "" or Chat => Chat,
        Ask => Ask,
        Workflow => Workflow,
        _ => throw new InvalidInputException($"The schedule kind '{kind}' is unknown; use chat (a chat turn), ask (a task whose proposed actions wait for approval) or workflow (with a workflow name)."),
    };
}

public static class ScheduleStatuses
{
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>What started a run: its due time, a catch-up after the server was down, or run-now.</summary>
public static class ScheduleTriggers
{
    public const string Due = "due";
    public const string CatchUp = "catch_up";
    public const string RunNow = "run_now";
}

/// <summary>A schedule's cron expression: five fields (minute hour day-of-month month day-of-week), checked once.</summary>
public sealed class ScheduleCron
{
    private const string Expected = "give five fields: minute hour day-of-month month day-of-week, e.g. \"0 9 * * 1-5\" (09:00 on weekdays).";

    private readonly CronExpression _expression;

    private ScheduleCron(string text, CronExpression expression)
    {
        Text = text;
        _expression = expression;
    }

    public string Text { get; }

    /// <summary>Parses the expression; a bad one fails in one line naming it and what is expected.</summary>
    public static ScheduleCron Parse(string? text)
    {
        var clean = text?.Trim() ?? "";
        if (clean.Length == 0)
            throw new InvalidInputException("The cron expression is empty; give five fields: minute hour day-of-month month day-of-week, e.g. \"0 9 * * 1-5\" (09:00 on weekdays).");
        var fields = clean.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields != 5 && !clean.StartsWith('@'))
            throw new InvalidInputException($"'{clean}' is not a cron expression (it has {fields} field{(fields == 1 ? "" : "s")}); {Expected}");
        try
        {
            return new ScheduleCron(clean, CronExpression.Parse(clean, CronFormat.Standard));
        }
        catch (CronFormatException e)
        {
            throw new InvalidInputException(
                $"'{clean}' is not a cron expression ({e.Message.TrimEnd('.')}); {Expected}", e);
        }
    }

    /// <summary>The first occurrence after <paramref name="after"/> (not at it), in the zone; null when it never occurs again.</summary>
    public DateTimeOffset? Next(DateTimeOffset after, TimeZoneInfo zone) => _expression.GetNextOccurrence(after, zone);

    /// <summary>The first occurrence after <paramref name="after"/>; an expression that never occurs ("0 0 30 2 *") is refused.</summary>
    public DateTimeOffset RequireNext(DateTimeOffset after, TimeZoneInfo zone) =>
        Next(after, zone) ?? throw new InvalidInputException($"'{Text}' never occurs (no date matches it); check the day-of-month and month fields.");

    /// <summary>How many occurrences fall in (from, to]: the ones a catch-up run stands for.</summary>
    public int Count(DateTimeOffset from, DateTimeOffset to, TimeZoneInfo zone)
    {
        if (to <= from) return 0;
        return _expression.GetOccurrences(from, to, zone, fromInclusive: false, toInclusive: true).Count();
    }
}

/// <summary>The schedules section of config.yaml (schedules: ...), overridable with MINIME_SCHEDULES__*.</summary>
public sealed class ScheduleOptions
{
    public const string Section = "schedules";
    public const string Local = "local";

    /// <summary>The zone cron expressions are read in: local (this machine's time zone), UTC, or an IANA id such as Europe/Berlin.</summary>
    public string TimeZone { get; set; } = Local;

    /// <summary>The zone itself; local is the clock's (<see cref="TimeProvider.LocalTimeZone"/>).</summary>
    public TimeZoneInfo Zone(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return Resolve(TimeZone) ?? time.LocalTimeZone;
    }

    /// <summary>Null for local; the zone for UTC or an id; throws for an unknown id.</summary>
    internal static TimeZoneInfo? Resolve(string? id)
    {
        var clean = id?.Trim() ?? "";
        if (clean.Length == 0 || clean.Equals(Local, StringComparison.OrdinalIgnoreCase)) return null;
        if (clean.Equals("UTC", StringComparison.OrdinalIgnoreCase)) return TimeZoneInfo.Utc;
        return TimeZoneInfo.FindSystemTimeZoneById(clean);
    }

    /// <summary>Binds the schedules section and checks it; a bad value fails with where it was set.</summary>
    public static ScheduleOptions Load(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return ConfigurationLoader.LoadSection(workspace, Section, new ScheduleOptionsValidator(), overrides);
    }
}

public sealed class ScheduleOptionsValidator : IValidateOptions<ScheduleOptions>
{
    public ValidateOptionsResult Validate(string? name, ScheduleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            ScheduleOptions.Resolve(options.TimeZone);
            return ValidateOptionsResult.Success;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return ValidateOptionsResult.Fail($"schedules.timeZone '{options.TimeZone}' is not a time zone; use local, UTC or an IANA id such as Europe/Berlin");
        }
    }
}
