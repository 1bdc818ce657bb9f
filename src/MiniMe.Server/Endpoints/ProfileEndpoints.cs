using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Identity;
using MiniMe.Server.Auth;
using MiniMe.Hosting.Users;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace MiniMe.Server.Endpoints;

public sealed record ProfilePersona(string? Voice, string? Tone, IReadOnlyList<string>? StyleRules, IReadOnlyList<string>? Values);

public sealed record ProfilePrinciple(string? Name, string? Description, double? Magnitude, string? Scope, string? Target, IReadOnlyList<string>? Tags);

/// <summary>The user's profile: the persona MiniMe speaks with and the principles it applies (identity.yaml).</summary>
public sealed record Profile(string UserId, ProfilePersona Persona, IReadOnlyList<ProfilePrinciple> Principles);

public sealed record ProfileBody(ProfilePersona? Persona, IReadOnlyList<ProfilePrinciple>? Principles);

internal static class ProfileEndpoints
{
    private static readonly ISerializer Yaml = new SerializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        .Build();

    public static void Map(RouteGroupBuilder v1)
    {
        var profile = v1.MapGroup("/profile").WithTags("Profile");
        profile.MapGet("/", (ClaimsPrincipal user, UserSpaces spaces) =>
        {
            var space = spaces.Get(user.UserId());
            return TypedResults.Ok(ToProfile(space.UserId, space.LoadIdentity()));
        }).WithSummary("Your persona and principles");
        profile.MapPut("/", (ProfileBody body, ClaimsPrincipal user, UserSpaces spaces) =>
        {
            var space = spaces.Get(user.UserId());
            var identity = Save(space, body);
            return TypedResults.Ok(ToProfile(space.UserId, identity));
        }).WithSummary("Replace your persona and principles (validated like identity.yaml)").ProducesProblem(400);
    }

    private static Profile ToProfile(string userId, IdentityDocument identity) => new(
        userId,
        new ProfilePersona(identity.Persona.Voice, identity.Persona.Tone, identity.Persona.StyleRules, identity.Persona.Values),
        [.. identity.Principles.Select(p => new ProfilePrinciple(p.Name, p.Description, p.Magnitude, p.Scope.ToString().ToLowerInvariant(), p.Target, p.Tags))]);

    /// <summary>Writes identity.yaml after checking it parses back; a bad profile changes nothing.</summary>
    private static IdentityDocument Save(UserSpace space, ProfileBody body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var document = new Dictionary<string, object?>
        {
            ["persona"] = body.Persona is null ? null : new Dictionary<string, object?>
            {
                ["voice"] = body.Persona.Voice,
                ["tone"] = body.Persona.Tone,
                ["styleRules"] = body.Persona.StyleRules,
                ["values"] = body.Persona.Values,
            },
            ["principles"] = (body.Principles ?? []).Select(p => new Dictionary<string, object?>
            {
                ["name"] = p.Name,
                ["description"] = p.Description,
                ["magnitude"] = p.Magnitude,
                ["scope"] = p.Scope,
                ["target"] = p.Target,
                ["tags"] = p.Tags,
            }.Where(kv => kv.Value is not null).ToDictionary()).ToList(),
        };
        if (body.Persona is null) document.Remove("persona");
        var yaml = "# Written by the MiniMe API (PUT /v1/profile).\n" + Yaml.Serialize(document);
        IdentityDocument parsed;
        try
        {
            parsed = IdentityLoader.Parse(yaml, "profile");
        }
        catch (Configuration.ConfigException e)
        {
            throw new InvalidInputException(e.Message, e);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(space.IdentityPath)!);
        var temporary = space.IdentityPath + ".tmp";
        File.WriteAllText(temporary, yaml);
        File.Move(temporary, space.IdentityPath, overwrite: true);
        space.IdentityWritten();
        return parsed;
    }
}
