using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MiniMe.Tracing;

namespace MiniMe.Server.Logging;

/// <summary>
/// Wraps a logger provider so that everything it writes has passed <see cref="SecretRedactor"/>: the
/// formatted message, structured values, scopes and the exception text. Exceptions are the usual
/// carrier: a provider error's inner exception repeats the upstream response, API key included.
/// Microsoft.Extensions.Compliance.Redaction does not fit here: it redacts parameters tagged with a
/// data classification, not free text inside messages and exceptions. What reaches the inner provider
/// at all, and with which detail, is <see cref="ServerLogPolicy"/>'s call.
/// </summary>
internal class RedactingLoggerProvider(ILoggerProvider inner, ServerLogPolicy? policy = null) : ILoggerProvider
{
    protected ILoggerProvider Inner { get; } = inner;

    protected ServerLogPolicy Policy { get; } = policy ?? ServerLogPolicy.Default;

    /// <summary>Replaces every (unkeyed) ILoggerProvider registration with its redacting wrapper; call after all providers are added.</summary>
    public static void DecorateAll(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType != typeof(ILoggerProvider) || descriptor.IsKeyedService) continue;
            services[i] = ServiceDescriptor.Describe(typeof(ILoggerProvider), sp => Wrap(Create(sp, descriptor), sp.GetService<ServerLogPolicy>()), descriptor.Lifetime);
        }
    }

    /// <summary>The wrapper; a provider that reads scopes from the factory's scope provider gets one that redacts them.</summary>
    public static ILoggerProvider Wrap(ILoggerProvider provider, ServerLogPolicy? policy = null) => provider switch
    {
        RedactingLoggerProvider => provider,
        ISupportExternalScope => new WithExternalScopes(provider, policy),
        _ => new RedactingLoggerProvider(provider, policy),
    };

    public ILogger CreateLogger(string categoryName) => new RedactingLogger(Inner.CreateLogger(categoryName), categoryName, Policy);

    public void Dispose()
    {
        Inner.Dispose();
        GC.SuppressFinalize(this);
    }

    private static ILoggerProvider Create(IServiceProvider services, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance as ILoggerProvider
        ?? (ILoggerProvider)(descriptor.ImplementationFactory is { } factory
            ? factory(services)
            : ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));

    private sealed class WithExternalScopes(ILoggerProvider inner, ServerLogPolicy? policy) : RedactingLoggerProvider(inner, policy), ISupportExternalScope
    {
        public void SetScopeProvider(IExternalScopeProvider scopeProvider) =>
            ((ISupportExternalScope)Inner).SetScopeProvider(new RedactingScopeProvider(scopeProvider));
    }
}

/// <summary>A logger whose every entry, scope and exception is redacted before the inner logger sees it.</summary>
internal sealed class RedactingLogger(ILogger inner, string category = "", ServerLogPolicy? policy = null) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(RedactedState.Of(state));

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!inner.IsEnabled(logLevel)) return;
        var (drop, level, shown, reason) = (policy ?? ServerLogPolicy.Default).Apply(category, logLevel, eventId, exception);
        if (drop || !inner.IsEnabled(level)) return;
        var text = formatter(state, exception) ?? "";
        if (reason is not null && !text.Contains(reason, StringComparison.Ordinal)) text = text.TrimEnd().TrimEnd('.', ':') + ": " + reason;
        var message = SecretRedactor.RedactText(text);
        var redacted = new RedactedState(state as IEnumerable<KeyValuePair<string, object?>>, message);
        inner.Log(level, eventId, redacted, shown is null ? null : new RedactedException(shown), static (s, _) => s.Message);
    }
}

/// <summary>Hands scopes to the inner provider's formatter redacted.</summary>
internal sealed class RedactingScopeProvider(IExternalScopeProvider inner) : IExternalScopeProvider
{
    public void ForEachScope<TState>(Action<object?, TState> callback, TState state) =>
        inner.ForEachScope((scope, s) => callback(scope is null ? null : RedactedState.Of(scope), s), state);

    public IDisposable Push(object? state) => inner.Push(state);
}

/// <summary>
/// A log entry's structured values with strings (and objects rendered as text) redacted; its text is
/// the redacted message. "{OriginalFormat}" is the message template, kept as written.
/// </summary>
internal sealed class RedactedState : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly List<KeyValuePair<string, object?>> _values = [];

    public RedactedState(IEnumerable<KeyValuePair<string, object?>>? values, string message)
    {
        Message = message;
        foreach (var (key, value) in values ?? [])
            _values.Add(new(key, key == "{OriginalFormat}" ? value : RedactValue(value)));
    }

    public string Message { get; }

    public int Count => _values.Count;

    public KeyValuePair<string, object?> this[int index] => _values[index];

    public static object Of(object state) =>
        state is IEnumerable<KeyValuePair<string, object?>> values ? new RedactedState(values, SecretRedactor.RedactText(state.ToString() ?? "")) : SecretRedactor.RedactText(state.ToString() ?? "");

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _values.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Message;

    private static object? RedactValue(object? value) => value switch
    {
        null or bool or char or sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal => value,
        Enum or DateTime or DateTimeOffset or TimeSpan or Guid => value,
        string s => SecretRedactor.RedactText(s),
        _ => SecretRedactor.RedactText(value.ToString() ?? ""),
    };
}

/// <summary>An exception as logged: the original's type, message, inner exceptions and stack trace, redacted.</summary>
internal sealed class RedactedException(Exception original) : Exception(SecretRedactor.RedactText(original.Message))
{
    private readonly string _text = SecretRedactor.RedactText(original.ToString());

    public override string? StackTrace => null;

    public override string ToString() => _text;
}
