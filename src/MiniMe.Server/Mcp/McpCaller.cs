using System.Security.Claims;
using MiniMe.Hosting.Users;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace MiniMe.Server.Mcp;

/// <summary>
/// The user an MCP request acts for. Over stdio (`minime mcp`) the process is the owner's; over HTTP it
/// is the API key's user (authentication put it on the request), and a request without one is refused
/// (authorization stops it first; this is the second lock).
/// </summary>
public sealed class McpCaller(UserSpaces spaces, McpCallerFace face)
{
    public UserSpace Space(MessageContext request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (face.Face == McpFace.Stdio) return spaces.Owner;
        var userId = request.User?.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? throw new McpException("This MCP endpoint needs an API key: send 'Authorization: Bearer <key>'.");
        return spaces.Get(userId);
    }

    /// <summary>Runs a tool's work, turning MiniMe's one-line errors (bad input, not found) into the MCP error the client shows.</summary>
    public static async Task<T> Guard<T>(Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (MiniMeException e)
        {
            throw new McpException(e.Message, e);
        }
    }

    public static T Guard<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            return work();
        }
        catch (MiniMeException e)
        {
            throw new McpException(e.Message, e);
        }
    }
}
