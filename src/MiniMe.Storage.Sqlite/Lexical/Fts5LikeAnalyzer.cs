using System.Globalization;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Core;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.Miscellaneous;
using Lucene.Net.Util;

namespace MiniMe.Storage.Sqlite.Lexical;

/// <summary>
/// The analysis of chunks_fts (<c>porter unicode61 remove_diacritics 2</c>) in Lucene terms, so both engines see the same
/// words: tokens are runs of Unicode letters, numbers and private-use characters (everything else separates, as in
/// unicode61), lower-cased, folded to ASCII (diacritics removed) and Porter-stemmed. No stopwords are removed.
/// </summary>
internal sealed class Fts5LikeAnalyzer : Analyzer
{
    public static readonly LuceneVersion Version = LuceneVersion.LUCENE_48;

    protected override TokenStreamComponents CreateComponents(string fieldName, TextReader reader)
    {
        var tokenizer = new Unicode61Tokenizer(reader);
        TokenStream stream = new LowerCaseFilter(Version, tokenizer);
        stream = new ASCIIFoldingFilter(stream);
        stream = new PorterStemFilter(stream);
        return new TokenStreamComponents(tokenizer, stream);
    }

    private sealed class Unicode61Tokenizer(TextReader input) : Lucene.Net.Analysis.Util.CharTokenizer(Version, input)
    {
        protected override bool IsTokenChar(int c) => CharUnicodeInfo.GetUnicodeCategory(c) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
                or UnicodeCategory.PrivateUse => true,
            _ => false,
        };
    }
}
