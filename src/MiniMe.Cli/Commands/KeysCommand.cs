using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Server.Auth;
using MiniMe.Server.Storage;
using MiniMe.Hosting.Users;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>`minime keys create|list|revoke`: API keys for `minime serve`, stored hashed in server.db.</summary>
internal sealed class KeysCommand : Command
{
    public KeysCommand(CliContext context) : base("keys", "Create, list and revoke API keys for `minime serve`")
    {
        Subcommands.Add(new CreateCommand(context));
        Subcommands.Add(new ListCommand(context));
        Subcommands.Add(new RevokeCommand(context));
    }

    private static ApiKeyStore Store(Workspace workspace)
    {
        workspace.EnsureInitialized();
        return new ApiKeyStore(ServerDatabase.For(workspace));
    }

    private static JsonObject Json(ApiKeyInfo key) => new()
    {
        ["id"] = key.Id,
        ["name"] = key.Name,
        ["user"] = key.UserId,
        ["created"] = key.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        ["revoked"] = key.RevokedAt?.ToString("O", CultureInfo.InvariantCulture),
    };

    private sealed class CreateCommand : MiniMeCommand
    {
        private readonly Argument<string> _name = new("NAME") { Description = "A name for the key (e.g. laptop, web-ui)" };
        private readonly Option<string?> _user = new("--user") { Description = "The user the key acts for (default: the workspace owner, config user.name)" };
        private readonly Option<bool> _json = new("--json") { Description = "Print JSON (the key is in the \"key\" member)" };

        public CreateCommand(CliContext context) : base("create", "Create an API key; it is printed once and only its hash is kept", context)
        {
            Arguments.Add(_name);
            Options.Add(_user);
            Options.Add(_json);
        }

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var workspace = CheckedWorkspace(parse);
            var store = Store(workspace);
            var user = parse.GetValue(_user);
            if (user is null)
            {
                var owner = Engine.LoadOptions(workspace).User.Name;
                if (!UserIds.IsValid(owner))
                    throw new InvalidInputException($"The workspace owner's name '{owner}' (config user.name) cannot be a user id; pass --user ID (letters, digits, '.', '_', '-').");
                user = owner;
            }
            var created = store.Create(parse.GetValue(_name)!, user);
            if (parse.GetValue(_json))
            {
                var json = Json(created.Info);
                json["key"] = created.Secret;
                Out.Profile.Out.Writer.WriteLine(json.ToJsonString(JsonFormats.Indented));
                return Task.FromResult(ExitCodes.Ok);
            }
            Out.MarkupLine($"Created key [bold]{Markup.Escape(created.Info.Name)}[/] (id {created.Info.Id}) for user [bold]{Markup.Escape(created.Info.UserId)}[/].");
            Out.MarkupLine("Copy it now; it is not shown again:");
            Out.Profile.Out.Writer.WriteLine(created.Secret);
            Out.MarkupLine("Send it as [bold]Authorization: Bearer <key>[/], or paste it into the web UI.");
            return Task.FromResult(ExitCodes.Ok);
        }
    }

    private sealed class ListCommand : MiniMeCommand
    {
        private readonly Option<bool> _all = new("--all") { Description = "Include revoked keys" };
        private readonly Option<bool> _json = new("--json") { Description = "Print a JSON array" };

        public ListCommand(CliContext context) : base("list", "List API keys (never the keys themselves)", context)
        {
            Options.Add(_all);
            Options.Add(_json);
        }

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var keys = Store(CheckedWorkspace(parse)).List(parse.GetValue(_all));
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(new JsonArray([.. keys.Select(k => (JsonNode?)Json(k))]).ToJsonString(JsonFormats.Indented));
                return Task.FromResult(ExitCodes.Ok);
            }
            if (keys.Count == 0)
            {
                Out.MarkupLine("No API keys. Create one with [bold]minime keys create NAME[/].");
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = new Table().Border(TableBorder.Simple).AddColumn("id").AddColumn("name").AddColumn("user").AddColumn("created (UTC)").AddColumn("revoked (UTC)");
            foreach (var k in keys)
                table.AddRow(k.Id, Markup.Escape(k.Name), Markup.Escape(k.UserId),
                    k.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    k.RevokedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "");
            Out.Write(table);
            return Task.FromResult(ExitCodes.Ok);
        }
    }

    private sealed class RevokeCommand : MiniMeCommand
    {
        private readonly Argument<string> _key = new("ID_OR_NAME") { Description = "The key's id or name (from `minime keys list`)" };

        public RevokeCommand(CliContext context) : base("revoke", "Revoke an API key; it stops working on the next request", context)
        {
            Arguments.Add(_key);
        }

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var revoked = Store(CheckedWorkspace(parse)).Revoke(parse.GetValue(_key)!);
            Out.MarkupLine($"Revoked key [bold]{Markup.Escape(revoked.Name)}[/] (id {revoked.Id}, user {Markup.Escape(revoked.UserId)}).");
            return Task.FromResult(ExitCodes.Ok);
        }
    }
}
