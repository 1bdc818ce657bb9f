using System.Globalization;
using System.Text.RegularExpressions;

namespace MiniMe.Evidence;

/// <summary>The kinds of node the evidence graph links, as they appear in ids ("fact:12").</summary>
public static class EvidenceKinds
{
    public const string Document = "doc";
    public const string Chunk = "chunk";
    public const string Fact = "fact";
    public const string Conversation = "conversation";
    public const string Message = "message";
    public const string Run = "run";
    public const string Proposal = "proposal";
    public const string Decision = "decision";
    public const string Goal = "goal";
    public const string User = "user";

    public static readonly IReadOnlyList<string> All = [Document, Chunk, Fact, Conversation, Message, Run, Proposal, Decision, Goal, User];

    /// <summary>Kinds whose ids are positive numbers (the memory database's rows); the others are names such as run ids.</summary>
    public static bool IsNumeric(string kind) => kind is Document or Chunk or Fact;
}

/// <summary>
/// The relations, read from the edge's first node to its second: chunk derived_from doc, fact derived_from message,
/// fact supersedes fact, fact contradicts fact, chunk used_in run, proposal proposed_by run, decision approved_by user.
/// </summary>
public static class EvidenceRelations
{
    public const string DerivedFrom = "derived_from";
    public const string Supersedes = "supersedes";
    public const string UsedIn = "used_in";
    public const string ProposedBy = "proposed_by";
    public const string ApprovedBy = "approved_by";
    public const string Contradicts = "contradicts";

    public static readonly IReadOnlyList<string> All = [DerivedFrom, Supersedes, UsedIn, ProposedBy, ApprovedBy, Contradicts];

    /// <summary>The order links to the same node are shown in (a fact that supersedes another also contradicts it).</summary>
    public static int Rank(string relation) => relation switch
    {
        DerivedFrom => 0,
        Supersedes => 1,
        Contradicts => 2,
        UsedIn => 3,
        ProposedBy => 4,
        ApprovedBy => 5,
        _ => 6,
    };

    /// <summary>
    /// Which end of an edge the other came from. For used_in the first node (the chunk) is the origin and the
    /// second (the run) depends on it; for every other relation the first node depends on the second.
    /// </summary>
    public static bool OriginIsFirst(string relation) => relation == UsedIn;

    /// <summary>How a node's origin is named in a tree ("derived from doc:7").</summary>
    public static string OriginPhrase(string relation) => relation switch
    {
        DerivedFrom => "derived from",
        Supersedes => "supersedes",
        UsedIn => "used",
        ProposedBy => "proposed by",
        ApprovedBy => "decided by",
        Contradicts => "contradicts",
        _ => relation,
    };

    /// <summary>How a node that depends on another is named in a tree ("used in run:...").</summary>
    public static string UsePhrase(string relation) => relation switch
    {
        DerivedFrom => "source of",
        Supersedes => "superseded by",
        UsedIn => "used in",
        ProposedBy => "proposed",
        ApprovedBy => "decided",
        Contradicts => "contradicted by",
        _ => relation,
    };
}

/// <summary>One node: a kind and the id the rest of MiniMe gives it ("fact:12", "run:20261123-091502-3fa9c1").</summary>
public sealed partial record EvidenceNode(string Kind, string Id)
{
    public override string ToString() => $"{Kind}:{Id}";

    public static EvidenceNode Document(long id) => new(EvidenceKinds.Document, Number(id));
    public static EvidenceNode Chunk(long id) => new(EvidenceKinds.Chunk, Number(id));
    public static EvidenceNode Fact(long id) => new(EvidenceKinds.Fact, Number(id));
    public static EvidenceNode Goal(string id) => Named(EvidenceKinds.Goal, id);
    public static EvidenceNode Run(string runId) => Named(EvidenceKinds.Run, runId);
    public static EvidenceNode Conversation(string id) => Named(EvidenceKinds.Conversation, id);
    public static EvidenceNode Message(string id) => Named(EvidenceKinds.Message, id);
    public static EvidenceNode Proposal(string id) => Named(EvidenceKinds.Proposal, id);
    public static EvidenceNode Decision(string proposalId) => Named(EvidenceKinds.Decision, proposalId);
    public static EvidenceNode User(string name) => Named(EvidenceKinds.User, name);

    /// <summary>The numeric id of a doc, chunk, fact or goal node.</summary>
    public long Number() => long.Parse(Id, NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>
    /// An id as a user types it: KIND:ID (doc:7, chunk:40, fact:12, run:RUN_ID, conversation:ID, message:ID,
    /// proposal:ID, decision:ID, goal:3, user:NAME), or the bare ids other commands print: 12 or #12 is a fact
    /// (as in `minime facts`), a run id (20261123-091502-3fa9c1) is a run. Anything else is one line saying what is accepted.
    /// </summary>
    public static EvidenceNode Parse(string? text)
    {
        var value = (text ?? "").Trim();
        if (value.Length == 0) throw Invalid(text, "it is empty");
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            var bare = value.TrimStart('#');
            if (IsPositive(bare)) return new EvidenceNode(EvidenceKinds.Fact, Canonical(bare));
            if (RunShape().IsMatch(value)) return new EvidenceNode(EvidenceKinds.Run, value);
            throw Invalid(text, "a bare id is a fact number (12 or #12) or a run id (20261123-091502-3fa9c1)");
        }
        var kind = value[..colon].Trim().ToLowerInvariant();
        if (kind == "document") kind = EvidenceKinds.Document;
        var id = value[(colon + 1)..].Trim();
        if (!EvidenceKinds.All.Contains(kind))
            throw Invalid(text, $"'{kind}' is not a kind");
        if (EvidenceKinds.IsNumeric(kind))
        {
            id = id.TrimStart('#');
            if (!IsPositive(id)) throw Invalid(text, $"a {kind} id is a positive number");
            return new EvidenceNode(kind, Canonical(id));
        }
        if (!NameShape().IsMatch(id)) throw Invalid(text, $"a {kind} id is 1 to 64 letters, digits, '-', '_' or '.'");
        return new EvidenceNode(kind, id);
    }

    /// <summary>Whether a stored or given node is well formed (the stores refuse anything else).</summary>
    public static bool IsValid(EvidenceNode? node) =>
        node is not null && EvidenceKinds.All.Contains(node.Kind) &&
        (EvidenceKinds.IsNumeric(node.Kind) ? IsPositive(node.Id) && Canonical(node.Id) == node.Id : NameShape().IsMatch(node.Id));

    private static EvidenceNode Named(string kind, string id)
    {
        var node = new EvidenceNode(kind, id ?? "");
        if (!NameShape().IsMatch(node.Id)) throw new ArgumentException($"'{id}' is not a valid {kind} id", nameof(id));
        return node;
    }

    private static string Number(long id)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(id);
        return id.ToString(CultureInfo.InvariantCulture);
    }

    private static bool IsPositive(string value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0;

    private static string Canonical(string value) => long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

    private static InvalidInputException Invalid(string? text, string why)
    {
        var shown = (text ?? "").Length > 80 ? text![..80] + "..." : text;
        return new InvalidInputException(
            $"'{shown}' is not an evidence id ({why}); use KIND:ID with KIND one of {string.Join(", ", EvidenceKinds.All)}, e.g. fact:12, chunk:40, doc:7, run:RUN_ID");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex RunShape();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex NameShape();
}

/// <summary>One recorded link: <paramref name="From"/> <paramref name="Relation"/> <paramref name="To"/> ("chunk:40 used_in run:R").</summary>
/// <param name="Detail">A short note (a decision's verdict "approved" or "rejected", a contradiction's reason).</param>
public sealed record EvidenceEdge(EvidenceNode From, string Relation, EvidenceNode To, DateTimeOffset At, string? Detail = null)
{
    /// <summary>Whether both ends are well formed and the relation is known.</summary>
    public bool IsValid => EvidenceNode.IsValid(From) && EvidenceNode.IsValid(To) && EvidenceRelations.All.Contains(Relation) && From != To;
}

/// <summary>
/// An edge as it leaves one store for another: doc and chunk ends also carry what identifies them in any store
/// (the document's source; the chunk's source and ordinal), since a store gives them ids of its own.
/// </summary>
public sealed record PortableEdge(EvidenceEdge Edge, string? FromKey, string? ToKey);
