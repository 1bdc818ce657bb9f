using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;

namespace MiniMe.Server;

/// <summary>Kestrel could not listen where it was told: the address is in use, not this machine's, or not allowed. One line; the bind error is the inner exception.</summary>
public sealed partial class ServerStartException(string message, ErrorCategory category, Exception? inner = null) : MiniMeException(category, message, inner)
{
    /// <summary>
    /// The one-line error for a failed start, or null when <paramref name="error"/> is not about binding.
    /// <paramref name="setting"/> names where the URLs came from (--urls or server.urls).
    /// </summary>
    public static ServerStartException? Translate(Exception error, string urls, string setting)
    {
        ArgumentNullException.ThrowIfNull(error);
        var inUse = Find<AddressInUseException>(error) is not null || Find<SocketException>(error)?.SocketErrorCode == SocketError.AddressAlreadyInUse;
        var socket = Find<SocketException>(error);
        if (!inUse && socket is null && !(error is IOException && error.Message.StartsWith("Failed to bind", StringComparison.Ordinal))) return null;
        var url = BindAddress().Match(error.Message) is { Success: true } match ? match.Groups[1].Value : urls;
        var where = $"{setting} {url}";
        if (inUse)
            return new ServerStartException($"{where}: the address is in use (another `minime serve`?); choose another with --urls or server.urls", ErrorCategory.Unavailable, error);
        return socket?.SocketErrorCode switch
        {
            SocketError.AddressNotAvailable => new ServerStartException(
                $"{where}: cannot listen there, the host is not an address of this machine; use 127.0.0.1, 0.0.0.0 (every interface) or one of this machine's addresses", ErrorCategory.InvalidInput, error),
            SocketError.AccessDenied => new ServerStartException(
                $"{where}: permission denied (ports below 1024 need privileges); choose a port above 1024 with --urls or server.urls", ErrorCategory.Refused, error),
            _ => new ServerStartException($"{where}: cannot listen there ({FirstLine((Exception?)socket ?? error)}); check the address with --urls or server.urls", ErrorCategory.Unavailable, error),
        };
    }

    private static T? Find<T>(Exception? error) where T : Exception
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is T found) return found;
        return null;
    }

    private static string FirstLine(Exception e)
    {
        var end = e.Message.IndexOfAny(['\r', '\n']);
        return (end < 0 ? e.Message : e.Message[..end]).Trim().TrimEnd('.');
    }

    [GeneratedRegex(@"^Failed to bind to address (\S+?):? ")]
    private static partial Regex BindAddress();
}
