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

/// <summary>
/// `minime keys create|list|revoke`: API keys for `minime serve`, stored hashed in the server's
/// database (server.db, or PostgreSQL with memory.store postgres), the one the server reads.
/// </summary>
internal sealed class KeysCommand : Command
{
    public KeysCommand(CliContext context) : base("keys", "Create, list and revoke API keys for `minime serve`")
    {
        Subcommands.Add(new CreateCommand(context));
        Subcommands.Add(new ListCommand(context));
        Subcommands.Add(new RevokeCommand(context));
    }

    /// <summary>The workspace's options, once it is known to exist (so a missing workspace is the error shown).</summary>
    private static MiniMeOptions LoadOptions(Workspace workspace)
    {
        workspace.EnsureInitialized();
        return Engine.LoadOptions(workspace);
    }

    /// <summary>The database `minime serve` keeps its keys in: server.db, or PostgreSQL with memory.store postgres.</summary>
    private static ServerDatabase Database(Workspace workspace, MiniMeOptions options) => ServerDatabase.For(workspace, options.Memory);

    private static ServerDatabase Database(Workspace workspace) => Database(workspace, LoadOptions(workspace));

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

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var workspace = CheckedWorkspace(parse);
            var options = LoadOptions(workspace);
            await using var database = Database(workspace, options);
            var store = new ApiKeyStore(database);
            var user = parse.GetValue(_user);
            if (user is null)
            {
                var owner = options.User.Name;
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
                return ExitCodes.Ok;
            }
            Out.MarkupLine($"Created key [bold]{Markup.Escape(created.Info.Name)}[/] (id {created.Info.Id}) for user [bold]{Markup.Escape(created.Info.UserId)}[/].");
            Out.MarkupLine("Copy it now; it is not shown again:");
            Out.Profile.Out.Writer.WriteLine(created.Secret);
            Out.MarkupLine("Send it as [bold]Authorization: Bearer <key>[/], or paste it into the web UI.");
            return ExitCodes.Ok;
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

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            IReadOnlyList<ApiKeyInfo> keys;
            await using (var database = Database(CheckedWorkspace(parse)))
                keys = new ApiKeyStore(database).List(parse.GetValue(_all));
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(new JsonArray([.. keys.Select(k => (JsonNode?)Json(k))]).ToJsonString(JsonFormats.Indented));
                return ExitCodes.Ok;
            }
            if (keys.Count == 0)
            {
                Out.MarkupLine("No API keys. Create one with [bold]minime keys create NAME[/].");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumn("id").AddColumn("name").AddColumn("user").AddColumn("created (UTC)").AddColumn("revoked (UTC)");
            foreach (var k in keys)
                table.AddRow(k.Id, Markup.Escape(k.Name), Markup.Escape(k.UserId),
                    k.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    k.RevokedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "");
            Out.Write(table);
            return ExitCodes.Ok;
        }
    }

    private sealed class RevokeCommand : MiniMeCommand
    {
        private readonly Argument<string> _key = new("ID_OR_NAME") { Description = "The key's id or name (from `minime keys list`)" };

        public RevokeCommand(CliContext context) : base("revoke", "Revoke an API key; it stops working on the next request", context)
        {
            Arguments.Add(_key);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var database = Database(CheckedWorkspace(parse));
            var revoked = new ApiKeyStore(database).Revoke(parse.GetValue(_key)!);
            Out.MarkupLine($"Revoked key [bold]{Markup.Escape(revoked.Name)}[/] (id {revoked.Id}, user {Markup.Escape(revoked.UserId)}).");
            return ExitCodes.Ok;
        }
    }
}
