namespace MiniMe.Context;

/// <summary>Kinds of prompt block, in the order they are laid out.</summary>
public enum ContextBlockKind
{
    Persona,
    Principles,
    DomainConstraints,
    ToolSchemas,
    Memory,
    /// <summary>The user's goals that bear on the task (an <see cref="IContextSource"/>).</summary>
    Goals,
    /// <summary>Rules, facts and documents of the active knowledge packs whose topics match the task.</summary>
    Knowledge,
    History,
    Task,
}

/// <summary>One candidate block of the prompt.</summary>
/// <param name="Id">Stable id (for memory: "memory:{chunk id}").</param>
/// <param name="Weight">0-1; low-weight middle blocks are dropped first when over budget.</param>
public sealed record ContextBlock(string Id, ContextBlockKind Kind, string Text, double Weight);

/// <summary>What to assemble and under what budget.</summary>
public sealed record ContextRequest(IReadOnlyList<ContextBlock> Blocks, int BudgetTokens);

/// <summary>A block as placed (or not) in the final prompt.</summary>
public sealed record AssembledBlock(string Id, ContextBlockKind Kind, double Weight, int Tokens, bool Kept, string? Reason);

/// <summary>The assembled prompt with an account of what was kept and dropped.</summary>
public sealed record ContextAssembly(
    string Prompt,
    int TotalTokens,
    int BudgetTokens,
    IReadOnlyList<AssembledBlock> Blocks,
    string TokenizerName,
    bool FromCache);

/// <summary>Counts tokens with a real tokenizer.</summary>
public interface ITokenCounter
{
    string Name { get; }
    int Count(string text);
}

/// <summary>Assembles prompt blocks under a token budget (SPEC 3.4).</summary>
public interface IContextBroker
{
    ContextAssembly Assemble(ContextRequest request);
}
