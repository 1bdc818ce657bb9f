using System.Net;
using System.Net.Sockets;
using MiniMe.Storage.Postgres;

namespace MiniMe.Tests.Memory;

public sealed class PostgresQueryTranslationTests
{
    [Theory]
    [InlineData("\"retry\"", "'retry'")]
    [InlineData("\"retry\" OR \"http client\"", "'retry' | ('http' <-> 'client')")]
    [InlineData("\"say \"\"hi\"\"\"", "('say' <-> 'hi')")]
    [InlineData("\"deployment.md\"", "('deployment' <-> 'md')")]
    [InlineData("plain AND words NOT near", "'plain' | 'words' | 'near'")]
    [InlineData("\"Ünïcödé\"", "'unicode'")]
    [InlineData("\"x\" OR \"x\"", "'x'")]
    public void Fts_expressions_become_or_ed_phrases(string match, string expected) =>
        Assert.Equal(expected, TsQueryTranslator.Translate(match));

    [Theory]
    [InlineData("")]
    [InlineData("\"\"")]
    [InlineData("\"!!! ??? ---\" OR AND")]
    [InlineData("'&|!<->:*()\\")]
    public void Expressions_without_words_translate_to_nothing(string match) =>
        Assert.Null(TsQueryTranslator.Translate(match));

    [Theory]
    [InlineData("'; DROP TABLE chunks; --")]
    [InlineData("a' | 'b")]
    [InlineData("\"unclosed 'quote \\\\ & | ! <-> :* (")]
    [InlineData("\u0000 nul \u0000")]
    public void Hostile_expressions_leave_only_quoted_letters_and_digits(string match)
    {
        var translated = TsQueryTranslator.Translate(match)!;
        foreach (var term in translated.Split([" | ", " <-> "], StringSplitOptions.None))
        {
            var word = term.Trim('(', ')');
            Assert.StartsWith("'", word, StringComparison.Ordinal);
            Assert.EndsWith("'", word, StringComparison.Ordinal);
            Assert.All(word[1..^1], c => Assert.True(char.IsLetterOrDigit(c), $"unexpected '{c}' in {translated}"));
        }
    }

    [Fact]
    public void The_number_of_phrases_is_capped()
    {
        var match = string.Join(" OR ", Enumerable.Range(0, 500).Select(i => $"\"w{i}\""));
        Assert.Equal(TsQueryTranslator.MaxPhrases, TsQueryTranslator.Translate(match)!.Split(" | ").Length);
    }

    [Theory]
    [InlineData("deployment.md", "deployment md")]
    [InlineData("  Foo_Bar--baz  ", "foo bar baz")]
    [InlineData("café NAÏVE", "cafe naive")]
    [InlineData("v2 3.14", "v2 3 14")]
    public void Search_text_is_lower_case_words_split_on_everything_else(string text, string expected) =>
        Assert.Equal(expected, SearchText.Normalize(text));

    [Fact]
    public async Task An_unreachable_server_is_one_line_naming_host_port_and_database_without_the_password()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        await using var store = new PostgresMemoryStore($"Host=127.0.0.1;Port={port};Database=notes;Username=ada;Password=s3cret-pw;Timeout=5");
        var e = await Assert.ThrowsAsync<PostgresUnavailableException>(() => store.InitializeAsync(CancellationToken.None));
        Assert.Contains($"host=127.0.0.1 port={port} database=notes user=ada", e.Message, StringComparison.Ordinal);
        Assert.Contains("MINIME_MEMORY__CONNECTIONSTRING", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Bogus=1;Password=s3cret-pw")]
    [InlineData("Password=s3cret-pw;Port=notanumber")]
    [InlineData("Password=s3cret-pw")]
    [InlineData("   ")]
    public void Malformed_connection_strings_are_refused_without_echoing_the_password(string connectionString)
    {
        var e = Assert.Throws<PostgresUnavailableException>(() => new PostgresMemoryStore(connectionString));
        Assert.Contains("connection", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("s3cret", e.Message, StringComparison.Ordinal);
    }
}
