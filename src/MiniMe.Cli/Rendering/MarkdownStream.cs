using System.Text;
using Spectre.Console;

namespace MiniMe.Cli.Rendering;

/// <summary>
/// Markdown for the terminal as it streams in, token by token: headings bold and underlined, list
/// bullets as •, **bold** bold, `code` and fenced code blocks in their own colour (the fence lines
/// themselves are not shown), everything else as it comes. Text is written as soon as its style is
/// known (a line's first few characters, a `*` waiting for the next one), so an answer appears while
/// the model writes it; nothing is rendered twice. What it does not know (tables, links, italics) is
/// printed as written.
/// </summary>
internal sealed class MarkdownStream(IAnsiConsole console)
{
    private static readonly Style Heading = new(decoration: Decoration.Bold | Decoration.Underline);
    private static readonly Style Code = new(Color.Aqua);
    private static readonly Style CodeBlock = new(Color.Grey);

    private readonly StringBuilder _lineStart = new();
    private readonly StringBuilder _run = new();   // text of one style, written at the end of each Append
    private Style _runStyle = Style.Plain;
    private bool _atLineStart = true;
    private bool _inFence;
    private bool _fenceLine;   // the rest of a ``` line (its language) is not shown
    private bool _heading;
    private bool _bold;
    private bool _code;
    private bool _pendingStar;

    /// <summary>True once anything was written and the last thing written was not a line break.</summary>
    public bool MidLine { get; private set; }

    public void Append(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var c in text) Put(c);
        FlushRun();
    }

    /// <summary>Writes what is held back (an undecided line start, a lone `*`) and ends the line.</summary>
    public void Finish()
    {
        if (_atLineStart && _lineStart.Length > 0) DecideLineStart(force: true);
        FlushStar();
        FlushRun();
        if (MidLine) console.WriteLine();
        MidLine = false;
        _atLineStart = true;
        _heading = _bold = _code = _fenceLine = _inFence = false;
    }

    private void Put(char c)
    {
        if (c == '\r') return;
        if (c == '\n')
        {
            if (_atLineStart && _lineStart.Length > 0) DecideLineStart(force: true);
            FlushStar();
            if (!_fenceLine || MidLine) NewLine();
            MidLine = false;
            _atLineStart = true;
            _heading = _fenceLine = false;
            _bold = _code = false;   // inline styles end with their line
            return;
        }
        if (_fenceLine) return;
        if (_atLineStart)
        {
            _lineStart.Append(c);
            DecideLineStart(force: false);
            return;
        }
        Inline(c);
    }

    /// <summary>A line's kind shows in its first characters: ``` fence, # heading, - * + bullet; until then they wait.</summary>
    private void DecideLineStart(bool force)
    {
        var start = _lineStart.ToString();
        var body = start.TrimStart(' ');
        var indent = start[..(start.Length - body.Length)];
        if (body.Length == 0 && !force) return;
        if (body.StartsWith("```", StringComparison.Ordinal))
        {
            _inFence = !_inFence;
            _fenceLine = true;
            Done();
            return;
        }
        if (_inFence)
        {
            if (!force && "```".StartsWith(body, StringComparison.Ordinal)) return;
            Done();
            Write(start, CodeBlock);
            return;
        }
        var hashes = body.Length - body.TrimStart('#').Length;
        if (hashes > 0 && hashes == body.Length && hashes <= 6 && !force) return;
        if (hashes is > 0 and <= 6 && body.Length > hashes && body[hashes] == ' ')
        {
            Done();
            _heading = true;
            return;   // the space after the hashes is dropped with them
        }
        if (body is "-" or "*" or "+" && !force) return;
        if (body.Length >= 2 && body[0] is '-' or '*' or '+' && body[1] == ' ')
        {
            Done();
            Write(indent + "• ", Style.Plain);
            foreach (var c in body[2..]) Inline(c);
            return;
        }
        if (!force && "```".StartsWith(body, StringComparison.Ordinal)) return;
        Done();
        foreach (var c in start) Inline(c);
    }

    private void Done()
    {
        _lineStart.Clear();
        _atLineStart = false;
    }

    private void Inline(char c)
    {
        if (_inFence)
        {
            Write(c.ToString(), CodeBlock);
            return;
        }
        if (_pendingStar)
        {
            _pendingStar = false;
            if (c == '*' && !_code)
            {
                _bold = !_bold;
                return;
            }
            Write("*", Current());
        }
        if (c == '*' && !_code)
        {
            _pendingStar = true;
            return;
        }
        if (c == '`')
        {
            _code = !_code;
            return;
        }
        Write(c.ToString(), Current());
    }

    private void FlushStar()
    {
        if (!_pendingStar) return;
        _pendingStar = false;
        Write("*", Current());
    }

    private Style Current()
    {
        if (_code) return Code;
        var decoration = (_heading ? Decoration.Bold | Decoration.Underline : Decoration.None) | (_bold ? Decoration.Bold : Decoration.None);
        return _heading ? Heading.Combine(new Style(decoration: decoration)) : new Style(decoration: decoration);
    }

    private void Write(string text, Style style)
    {
        if (text.Length == 0) return;
        if (_run.Length > 0 && !_runStyle.Equals(style)) FlushRun();
        _runStyle = style;
        _run.Append(text);
        MidLine = true;
    }

    private void NewLine()
    {
        FlushRun();
        console.WriteLine();
    }

    private void FlushRun()
    {
        if (_run.Length == 0) return;
        console.Write(new Text(_run.ToString(), _runStyle));
        _run.Clear();
    }
}
