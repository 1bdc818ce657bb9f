namespace MiniMe.Masks;

/// <summary>What the classifier concluded about a task.</summary>
/// <param name="Domain">One of <see cref="Domains.All"/>.</param>
/// <param name="DomainConfidence">0-1.</param>
/// <param name="Complexity">0-1.</param>
/// <param name="Signals">Human-readable reasons (matched keywords, length, steps), for the trace.</param>
public sealed record TaskProfile(string Domain, double DomainConfidence, double Complexity, IReadOnlyList<string> Signals);

/// <summary>The knobs a mask policy sets for one run (SPEC 3.3).</summary>
public sealed record MaskWeights
{
    /// <summary>Weight of the domain identity layer.</summary>
    public double Alpha { get; init; }
    /// <summary>Weight of the task identity layer.</summary>
    public double Beta { get; init; }
    /// <summary>Weight of the agent identity layer. Alpha + Beta + Gamma &lt;= 1.</summary>
    public double Gamma { get; init; }
    /// <summary>How many memory chunks to retrieve.</summary>
    public int RetrievalK { get; init; } = 8;
    /// <summary>Multiplicative boost for chunks whose domain matches the task's (score * (1 + w)).</summary>
    public double RetrievalDomainWeight { get; init; }
    /// <summary>Multiplicative boost for recent chunks.</summary>
    public double RetrievalRecencyWeight { get; init; }
    public double Temperature { get; init; } = 0.4;
    /// <summary>0-1: how strict the critic should be.</summary>
    public double Rigor { get; init; } = 0.5;
    /// <summary>Agent name (architect, builder, critic, integrator) to routing weight 0-1; below 0.2 the agent is skipped.</summary>
    public IReadOnlyDictionary<string, double> AgentRouting { get; init; } = new Dictionary<string, double>();
    public int MaxIterations { get; init; } = 3;
}

/// <summary>Turns a task profile into mask weights.</summary>
public interface IMaskPolicy
{
    string Name { get; }
    MaskWeights Compute(TaskProfile profile);
}

/// <summary>Classifies a task (or a document) into a domain and complexity.</summary>
public interface ITaskClassifier
{
    TaskProfile Classify(string text);
}
