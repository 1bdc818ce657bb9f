using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MiniMe.Server.Problems;

namespace MiniMe.Server.Auth;

/// <summary>Bearer API keys: "Authorization: Bearer mm_..." checked against <see cref="ApiKeyStore"/>.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string KeyIdClaim = "minime:key_id";

    private const string FailureItem = "minime:auth_failure";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return Task.FromResult(AuthenticateResult.NoResult());
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Fail("The Authorization header must be 'Bearer <API key>'.");
        var key = keys.Authenticate(header["Bearer ".Length..].Trim());
        if (key is null) return Fail("The API key is not valid or has been revoked.");
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, key.UserId), new Claim(ClaimTypes.Name, key.Name), new Claim(KeyIdClaim, key.Id)],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    private Task<AuthenticateResult> Fail(string reason)
    {
        Context.Items[FailureItem] = reason;
        return Task.FromResult(AuthenticateResult.Fail(reason));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var detail = Context.Items[FailureItem] as string
            ?? "This endpoint needs an API key: send 'Authorization: Bearer <key>'. Create one with `minime keys create NAME`.";
        await ProblemResponses.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized", detail).ConfigureAwait(false);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ProblemResponses.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "This API key may not use this endpoint.");
}

/// <summary>The authenticated caller.</summary>
public static class CallerExtensions
{
    /// <summary>The user the request's API key belongs to (authorization guarantees there is one).</summary>
    public static string UserId(this ClaimsPrincipal principal) =>
        principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("The request is not authenticated.");

    public static string? KeyId(this ClaimsPrincipal principal) => principal.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim);
}
