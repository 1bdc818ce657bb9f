using System.CommandLine;
using System.CommandLine.Parsing;

namespace MiniMe.Cli.Commands;

/// <summary>Validation shared by commands that take free text.</summary>
internal static class ArgumentGuards
{
    /// <summary>
    /// Free-text arguments swallow any token, so a mistyped option (`--bogus`) would silently become
    /// part of the query. Refuse tokens that look like options unless they come after `--`.
    /// </summary>
    public static void RejectOptionLikeTokens(ParseResult parse, Argument<string[]> argument)
    {
        if (parse.GetResult(argument) is not { } result) return;
        var all = parse.Tokens.ToList();
        var doubleDash = all.FindIndex(t => t.Type == TokenType.DoubleDash);
        foreach (var token in result.Tokens)
        {
            if (!token.Value.StartsWith("--", StringComparison.Ordinal) || token.Value == "--") continue;
            var index = all.FindIndex(t => ReferenceEquals(t, token));
            if (doubleDash >= 0 && index > doubleDash) continue;
            throw new InvalidInputException($"Unknown option '{token.Value}'. Run with --help for the options; to use it as text, put `--` before it.");
        }
    }
}
