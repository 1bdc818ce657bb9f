namespace MiniMe.Hosting.Users;

/// <summary>Whose scope this is: set once by <see cref="UserSpaces"/> when it opens the user's scope.</summary>
public sealed class UserScope
{
    private string? _userId;

    public string UserId => _userId ?? throw new InvalidOperationException("The user scope was not opened through UserSpaces.");

    public bool IsOwner { get; private set; }

    internal void Bind(string userId, bool isOwner)
    {
        if (_userId is not null) throw new InvalidOperationException("The user scope is already bound.");
        _userId = userId;
        IsOwner = isOwner;
    }
}
