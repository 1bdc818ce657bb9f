using System.CommandLine;
using System.Diagnostics;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Tracing;
using Spectre.Console;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace MiniMe.Cli.Commands;

internal sealed class ConfigCommand : Command
{
    public ConfigCommand(CliContext context) : base("config", "Show, locate or edit the configuration")
    {
        Subcommands.Add(new ShowCommand(context));
        Subcommands.Add(new PathCommand(context));
        Subcommands.Add(new EditCommand(context));
    }

    private sealed class ShowCommand(CliContext context) : MiniMeCommand("show", "Print the effective configuration (config.yaml + MINIME_ environment overrides), secrets redacted", context)
    {
        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var workspace = ResolveWorkspace(parse);
            workspace.EnsureInitialized();
            var options = Engine.LoadOptions(workspace);
            if (options.Memory.ConnectionString is not null) options.Memory.ConnectionString = SecretRedactor.Mask;
            var yaml = new SerializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).WithEnumNamingConvention(LowerCaseNamingConvention.Instance).Build().Serialize(options);
            Out.Profile.Out.Writer.Write($"# effective configuration of {workspace.ConfigPath}\n{yaml}");
            return Task.FromResult(ExitCodes.Ok);
        }
    }

    private sealed class PathCommand(CliContext context) : MiniMeCommand("path", "Print the path of config.yaml", context)
    {
        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            Out.Profile.Out.Writer.WriteLine(ResolveWorkspace(parse).ConfigPath);
            return Task.FromResult(ExitCodes.Ok);
        }
    }

    private sealed class EditCommand(CliContext context) : MiniMeCommand("edit", "Open config.yaml in $VISUAL or $EDITOR, then validate it", context)
    {
        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var workspace = ResolveWorkspace(parse);
            workspace.EnsureInitialized();
            var editor = Environment.GetEnvironmentVariable("VISUAL") is { Length: > 0 } visual ? visual
                : Environment.GetEnvironmentVariable("EDITOR") is { Length: > 0 } e ? e
                : null;
            if (editor is null)
                throw new ConfigException($"No editor: set $EDITOR (e.g. EDITOR=nano) or edit {workspace.ConfigPath} directly.");
            var backup = workspace.ConfigPath + ".bak";
            File.Copy(workspace.ConfigPath, backup, overwrite: true);

            // The editor runs as an argument vector, never through a shell: "code -w" is ["code", "-w", path].
            var parts = editor.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var start = new ProcessStartInfo(parts[0]) { UseShellExecute = false };
            foreach (var arg in parts.Skip(1)) start.ArgumentList.Add(arg);
            start.ArgumentList.Add(workspace.ConfigPath);
            using var process = Process.Start(start) ?? throw new ConfigException($"Could not start editor '{parts[0]}'.");
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
                throw new ConfigException($"Editor '{parts[0]}' exited with code {process.ExitCode}; config.yaml is as the editor left it (previous version in {backup}).");
            try
            {
                Engine.LoadOptions(workspace);
            }
            catch (ConfigException invalid)
            {
                throw new ConfigException($"{invalid.Message}\n(the previous version is in {backup}; run `minime config edit` again to fix it)", invalid, invalid.Category);
            }
            Out.MarkupLine($"[green]config.yaml is valid[/] (previous version in {Markup.Escape(Display(backup))})");
            return ExitCodes.Ok;
        }
    }
}
