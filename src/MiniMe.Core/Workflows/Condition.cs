using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace MiniMe.Workflows;

/// <summary>A parsed condition: paths (inputs.x, nodes.id.output.a.b), literals, comparisons, contains, and, or, not.</summary>
public abstract record ConditionExpr
{
    /// <summary>0-based offset of the expression in the condition text.</summary>
    public int Offset { get; init; }
}

public sealed record PathExpr(IReadOnlyList<string> Segments) : ConditionExpr
{
    public override string ToString() => string.Join('.', Segments);
}

public sealed record LiteralExpr(JsonNode? Value) : ConditionExpr;

public sealed record NotExpr(ConditionExpr Operand) : ConditionExpr;

public sealed record BinaryExpr(string Op, ConditionExpr Left, ConditionExpr Right) : ConditionExpr;

/// <summary>A condition the parser could not read: where (0-based offset) and why.</summary>
public sealed class ConditionSyntaxException(int offset, string message) : Exception(message)
{
    public int Offset { get; } = offset;
}

/// <summary>
/// The condition language of decision nodes and conditional edges:
/// <c>nodes.tests.output.exit_code != 0 &amp;&amp; !(inputs.strict == false)</c>, <c>nodes.review.output.summary contains "ok"</c>.
/// Precedence, lowest first: <c>||</c>, <c>&amp;&amp;</c>, comparisons and <c>contains</c>, <c>!</c>.
/// Literals: numbers, 'single' or "double" quoted strings, true, false, null.
/// </summary>
public static class Condition
{
    public static readonly string[] Comparisons = ["==", "!=", "<=", ">=", "<", ">"];

    public static ConditionExpr Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = Tokenize(text);
        var parser = new Parser(tokens, text.Length);
        var expr = parser.Or();
        if (!parser.AtEnd) throw new ConditionSyntaxException(parser.Peek.Offset, $"unexpected '{parser.Peek.Text}'");
        return expr;
    }

    /// <summary>Every path the condition reads.</summary>
    public static IEnumerable<PathExpr> Paths(ConditionExpr expr) => expr switch
    {
        PathExpr p => [p],
        NotExpr n => Paths(n.Operand),
        BinaryExpr b => Paths(b.Left).Concat(Paths(b.Right)),
        _ => [],
    };

    public static bool Evaluate(ConditionExpr expr, Func<IReadOnlyList<string>, JsonNode?> resolve) => Truthy(Value(expr, resolve));

    public static bool Truthy(JsonNode? value) => value switch
    {
        null => false,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length > 0,
        JsonValue v when Number(v) is { } d => d != 0,
        JsonArray a => a.Count > 0,
        _ => true,
    };

    private static JsonNode? Value(ConditionExpr expr, Func<IReadOnlyList<string>, JsonNode?> resolve)
    {
        switch (expr)
        {
            case LiteralExpr l: return l.Value?.DeepClone();
            case PathExpr p: return resolve(p.Segments)?.DeepClone();
            case NotExpr n: return JsonValue.Create(!Truthy(Value(n.Operand, resolve)));
            case BinaryExpr { Op: "&&" } b: return JsonValue.Create(Truthy(Value(b.Left, resolve)) && Truthy(Value(b.Right, resolve)));
            case BinaryExpr { Op: "||" } b: return JsonValue.Create(Truthy(Value(b.Left, resolve)) || Truthy(Value(b.Right, resolve)));
            case BinaryExpr b:
                var left = Value(b.Left, resolve);
                var right = Value(b.Right, resolve);
                return JsonValue.Create(b.Op switch
                {
                    "==" => Same(left, right),
                    "!=" => !Same(left, right),
                    "contains" => Contains(left, right),
                    _ => Order(left, right) is { } c && b.Op switch { "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0 },
                });
            default: throw new InvalidOperationException("unknown expression");
        }
    }

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : null;

    private static bool Same(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (Number(a) is { } x && Number(b) is { } y) return x.Equals(y);
        return JsonNode.DeepEquals(a, b);
    }

    private static int? Order(JsonNode? a, JsonNode? b)
    {
        if (Number(a) is { } x && Number(b) is { } y) return x.CompareTo(y);
        if (a is JsonValue va && b is JsonValue vb && va.TryGetValue<string>(out var s) && vb.TryGetValue<string>(out var t)) return string.CompareOrdinal(s, t);
        return null;
    }

    private static bool Contains(JsonNode? haystack, JsonNode? needle) => haystack switch
    {
        JsonArray a => a.Any(item => Same(item, needle)),
        JsonValue v when v.TryGetValue<string>(out var s) && needle is JsonValue n && n.TryGetValue<string>(out var t) => s.Contains(t, StringComparison.Ordinal),
        JsonObject o when needle is JsonValue n && n.TryGetValue<string>(out var key) => o.ContainsKey(key),
        _ => false,
    };

    private sealed record Token(string Kind, string Text, int Offset, JsonNode? Value = null);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            var start = i;
            if (c is '(' or ')') { tokens.Add(new Token(c.ToString(), c.ToString(), i)); i++; continue; }
            if (i + 1 < text.Length && text.Substring(i, 2) is "&&" or "||" or "==" or "!=" or "<=" or ">=")
            {
                tokens.Add(new Token("op", text.Substring(i, 2), i));
                i += 2;
                continue;
            }
            if (c is '<' or '>') { tokens.Add(new Token("op", c.ToString(), i)); i++; continue; }
            if (c == '!') { tokens.Add(new Token("!", "!", i)); i++; continue; }
            if (c is '"' or '\'')
            {
                var sb = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != c)
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    sb.Append(text[i]);
                    i++;
                }
                if (i >= text.Length) throw new ConditionSyntaxException(start, "a string is not closed");
                i++;
                tokens.Add(new Token("literal", text[start..i], start, JsonValue.Create(sb.ToString())));
                continue;
            }
            if (char.IsDigit(c) || (c == '-' && i + 1 < text.Length && char.IsDigit(text[i + 1])))
            {
                i++;
                while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.')) i++;
                var number = text[start..i];
                if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                    throw new ConditionSyntaxException(start, $"'{number}' is not a number");
                tokens.Add(new Token("literal", number, start, JsonValue.Create(d)));
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '-' or '.')) i++;
                var word = text[start..i];
                tokens.Add(word switch
                {
                    "true" => new Token("literal", word, start, JsonValue.Create(true)),
                    "false" => new Token("literal", word, start, JsonValue.Create(false)),
                    "null" => new Token("literal", word, start, null),
                    "contains" => new Token("op", word, start),
                    "and" or "or" or "not" => throw new ConditionSyntaxException(start, $"'{word}' is not an operator; use {(word == "and" ? "&&" : word == "or" ? "||" : "!")}"),
                    _ when word.EndsWith('.') || word.Contains("..", StringComparison.Ordinal) => throw new ConditionSyntaxException(start, $"'{word}' is not a path (segments are separated by single dots)"),
                    _ => new Token("path", word, start),
                });
                continue;
            }
            throw new ConditionSyntaxException(i, c == '=' ? "'=' is not an operator; use ==" : $"unexpected character '{c}'");
        }
        return tokens;
    }

    private sealed class Parser(List<Token> tokens, int end)
    {
        private int _at;

        public bool AtEnd => _at >= tokens.Count;

        public Token Peek => AtEnd ? new Token("end", "end of condition", end) : tokens[_at];

        private bool Take(string kind, string? text = null)
        {
            if (AtEnd || tokens[_at].Kind != kind || (text is not null && tokens[_at].Text != text)) return false;
            _at++;
            return true;
        }

        public ConditionExpr Or()
        {
            var left = And();
            while (!AtEnd && Peek.Text == "||")
            {
                var offset = Peek.Offset;
                _at++;
                left = new BinaryExpr("||", left, And()) { Offset = offset };
            }
            return left;
        }

        private ConditionExpr And()
        {
            var left = Compare();
            while (!AtEnd && Peek.Text == "&&")
            {
                var offset = Peek.Offset;
                _at++;
                left = new BinaryExpr("&&", left, Compare()) { Offset = offset };
            }
            return left;
        }

        private ConditionExpr Compare()
        {
            var left = Unary();
            if (!AtEnd && Peek.Kind == "op" && (Comparisons.Contains(Peek.Text) || Peek.Text == "contains"))
            {
                var op = Peek;
                _at++;
                var right = Unary();
                left = new BinaryExpr(op.Text, left, right) { Offset = op.Offset };
                if (!AtEnd && Peek.Kind == "op" && (Comparisons.Contains(Peek.Text) || Peek.Text == "contains"))
                    throw new ConditionSyntaxException(Peek.Offset, $"comparisons do not chain; use parentheses and && around '{Peek.Text}'");
            }
            return left;
        }

        private ConditionExpr Unary()
        {
            var token = Peek;
            if (Take("!")) return new NotExpr(Unary()) { Offset = token.Offset };
            if (Take("("))
            {
                var inner = Or();
                if (!Take(")")) throw new ConditionSyntaxException(Peek.Offset, $"expected ')' to close the '(' at column {token.Offset + 1}, found {Describe(Peek)}");
                return inner;
            }
            if (Take("literal")) return new LiteralExpr(token.Value) { Offset = token.Offset };
            if (Take("path")) return new PathExpr(token.Text.Split('.')) { Offset = token.Offset };
            throw new ConditionSyntaxException(token.Offset, $"expected a value (a path, a number, a string, true, false or null), found {Describe(token)}");
        }

        private static string Describe(Token t) => t.Kind == "end" ? "the end" : $"'{t.Text}'";
    }
}
