using System.Globalization;

namespace MiniMe.Server.Goals;

/// <summary>An active goal whose deadline is within goals.alertDays, or past.</summary>
/// <param name="DaysLeft">Days from today to the deadline; negative when overdue.</param>
/// <param name="Message">One line for people: what is due when, and how far along it is.</param>
public sealed record GoalAlert(string GoalId, string Title, DateOnly Deadline, int DaysLeft, bool Overdue, int Progress, string Message);

/// <summary>
/// Deadline alerts: active goals due within goals.alertDays days of today, or overdue, most urgent
/// first. `minime goals`, GET /v1/goals/alerts, the notification stream and the start of a chat all
/// ask here, so they agree.
/// </summary>
public sealed class GoalAlerts(GoalStore goals, GoalOptions options, TimeProvider time)
{
    /// <summary>Today where the engine runs (the local date: deadlines are calendar days).</summary>
    public DateOnly Today => DateOnly.FromDateTime(time.GetLocalNow().DateTime);

    public int AlertDays => options.AlertDays;

    public IReadOnlyList<GoalAlert> For(string userId) => For(userId, Today);

    public IReadOnlyList<GoalAlert> For(string userId, DateOnly today) =>
        [.. goals.List(userId, GoalStatuses.Active).Select(g => Check(g, today)).OfType<GoalAlert>().OrderBy(a => a.DaysLeft).ThenBy(a => a.GoalId, StringComparer.Ordinal)];

    /// <summary>The goal's alert, or null when it is not active, has no deadline, or is further away than goals.alertDays.</summary>
    public GoalAlert? Check(Goal goal, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(goal);
        if (goal.Status != GoalStatuses.Active || goal.Deadline is not { } deadline) return null;
        var days = deadline.DayNumber - today.DayNumber;
        if (days > options.AlertDays) return null;
        var when = days switch
        {
            < -1 => $"was due {-days} days ago",
            -1 => "was due yesterday",
            0 => "is due today",
            1 => "is due tomorrow",
            _ => $"is due in {days} days",
        };
        var message = $"\"{goal.Title}\" {when} ({GoalValues.Format(deadline)}), {goal.Progress.ToString(CultureInfo.InvariantCulture)}% done.";
        return new GoalAlert(goal.Id, goal.Title, deadline, days, days < 0, goal.Progress, message);
    }
}
