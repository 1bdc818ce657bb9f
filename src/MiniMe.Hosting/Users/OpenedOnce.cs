namespace MiniMe.Hosting.Users;

/// <summary>A store created on first use and initialized (migrated, checked) exactly once, even under concurrent first requests.</summary>
internal sealed class OpenedOnce<T>(Func<T> create, Func<T, CancellationToken, Task> initialize) : IAsyncDisposable
    where T : class, IAsyncDisposable
{
    private readonly Lazy<T> _value = new(create);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _ready;

    public async Task<T> GetAsync(CancellationToken cancellationToken)
    {
        if (_ready) return _value.Value;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_ready)
            {
                await initialize(_value.Value, cancellationToken).ConfigureAwait(false);
                _ready = true;
            }
            return _value.Value;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_value.IsValueCreated) await _value.Value.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
