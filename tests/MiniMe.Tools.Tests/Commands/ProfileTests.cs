using System.Diagnostics;
using MiniMe.Tools.Commands;
using MiniMe.Tools.Commands.Profiles;
using MiniMe.Tools.Tests.Support;

namespace MiniMe.Tools.Tests.Commands;

/// <summary>
/// The allow-lists are only as good as their spellings: an option git does not have would be read by git
/// as an abbreviation of another one. So every spelling the git profile allows is run through the real
/// git, which must accept it (usage errors exit 129 and say "unknown option").
/// </summary>
public sealed class ProfileTests
{
    public static TheoryData<string, string> GitOptions()
    {
        var data = new TheoryData<string, string>();
        foreach (var sub in GitProfile.Profile.Subcommands.Values)
            foreach (var spec in sub.Options)
                foreach (var name in spec.Names)
                    data.Add(sub.Name, name);
        return data;
    }

    [Theory]
    [MemberData(nameof(GitOptions))]
    public void Every_git_option_the_profile_allows_is_a_real_option_of_that_subcommand(string subcommand, string spelling)
    {
        using var w = new ToolWorkspace();
        var spec = GitProfile.Profile.Subcommands[subcommand].Options.Single(s => s.Names.Contains(spelling));
        var args = new List<string> { subcommand };
        if (spelling == ArgumentParser.NumberOption) args.Add("-1");
        else if (spec.Arity == OptionArity.Required) args.AddRange([spelling, spelling switch { "--contains" or "--no-contains" => "HEAD", "-L" => "1,2", _ => Sample(spec.Value!) }]);
        else args.Add(spelling);
        if (subcommand == "blame") args.AddRange(["--", "src/app.cs"]);

        var (code, error) = Git(w.Root, args);

        Assert.False(code == 129 || error.Contains("unknown option", StringComparison.Ordinal) || error.Contains("unrecognized argument", StringComparison.Ordinal),
            $"git {string.Join(' ', args)} exited {code}: {error}");
    }

    [Fact]
    public void Allowed_and_denied_options_never_overlap()
    {
        foreach (var profile in new[] { GitProfile.Profile, DotnetProfile.Profile })
            foreach (var sub in profile.Subcommands.Values)
                foreach (var spec in sub.Options)
                    foreach (var name in spec.Names)
                    {
                        var denied = profile.Denied.Concat(sub.Denied).Where(d => d.Names.Contains(name, StringComparer.Ordinal)).ToList();
                        // A spelling both allowed and denied would be a profile bug, except the ones deliberately narrowed (dotnet test -t, --logger).
                        Assert.True(denied.Count == 0 || (profile.Name == "dotnet" && name is "-t" or "--logger"),
                            $"{profile.Name} {sub.Name}: {name} is allowed and denied");
                    }
    }

    private static string Sample(ValueForm form) => form switch
    {
        ValueForm.Integer => "1",
        ValueForm.OneOf one => one.Choices[0],
        ValueForm.PathValue => ".",
        _ => "x",
    };

    private static (int Code, string Error) Git(string cwd, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["GIT_PAGER"] = "cat";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error.Result);
    }
}
