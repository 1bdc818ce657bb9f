using MiniMe.Memory.Lexical;

namespace MiniMe.Tests.Memory;

public class LexicalTests
{
    [Theory]
    [InlineData("SqliteMemoryStore", "sqlite memory store")]
    [InlineData("max_file_bytes", "max file bytes")]
    [InlineData("HTTPClient2Factory", "http client 2 factory")]
    [InlineData("parseJSON", "parse json")]
    [InlineData("simple", "simple")]
    public void Identifiers_split_into_lower_case_words(string identifier, string expected) =>
        Assert.Equal(expected, string.Join(' ', IdentifierSplitter.Split(identifier)));

    [Fact]
    public void Query_terms_are_quoted_and_joined_with_or()
    {
        Assert.Equal("\"retry\" OR \"backoff\"", FtsQueryBuilder.Build("retry the backoff"));
    }

    [Fact]
    public void Code_identifiers_also_match_their_words_as_a_phrase()
    {
        var expression = FtsQueryBuilder.Build("HttpClientFactory");
        Assert.Equal("\"httpclientfactory\" OR \"http client factory\"", expression);
    }

    [Theory]
    [InlineData("\"unbalanced")]
    [InlineData("title:secret")]
    [InlineData("NEAR(a b)")]
    [InlineData("foo* AND bar OR NOT baz")]
    [InlineData("^start -minus +plus {col} (paren")]
    [InlineData("x\" OR 1=1 --")]
    public void Hostile_fts_syntax_becomes_plain_quoted_terms(string query)
    {
        var expression = FtsQueryBuilder.Build(query);
        Assert.NotNull(expression);
        // Every term is a quoted string; the only bare words are the OR joiners we add.
        foreach (var term in expression!.Split(" OR "))
        {
            Assert.StartsWith("\"", term, StringComparison.Ordinal);
            Assert.EndsWith("\"", term, StringComparison.Ordinal);
            Assert.DoesNotContain('"', term[1..^1].Replace("\"\"", "", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Boolean_words_from_the_user_are_searched_as_words_not_operators()
    {
        var expression = FtsQueryBuilder.Build("cats AND dogs");
        Assert.Contains("\"cats\"", expression, StringComparison.Ordinal);
        Assert.Contains("\"dogs\"", expression, StringComparison.Ordinal);
        Assert.DoesNotContain(" AND ", expression, StringComparison.Ordinal);
    }

    [Fact]
    public void A_query_of_only_stopwords_still_searches_them()
    {
        Assert.Equal("\"how\" OR \"to\"", FtsQueryBuilder.Build("how to"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("!!! ??? ...")]
    public void Text_without_words_gives_no_expression(string query) => Assert.Null(FtsQueryBuilder.Build(query));

    [Fact]
    public void Terms_are_capped()
    {
        var query = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"word{i}"));
        Assert.True(FtsQueryBuilder.Build(query)!.Split(" OR ").Length <= FtsQueryBuilder.MaxTerms);
    }

    [Fact]
    public void Symbols_are_extracted_as_split_identifiers()
    {
        var symbols = SymbolExtractor.Extract("var store = new SqliteMemoryStore(path); store.GetDocumentHashesAsync(ct);");
        Assert.Contains("sqlite memory store", symbols, StringComparison.Ordinal);
        Assert.Contains("get document hashes async", symbols, StringComparison.Ordinal);
    }
}
