using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Context;
using MiniMe.Masks;
using MiniMe.Tools.Trust;

namespace MiniMe.Server;

/// <summary>
/// The engine parts the server shares across users: the workspace and its configuration, the
/// embedding generator (built by the caller, e.g. `minime serve`), and the stateless classifier,
/// mask policy, tokenizer and context broker, and the trust file that decides whether the
/// workspace's tools may run at all.
/// </summary>
public sealed class ServerEngine
{
    public ServerEngine(
        Workspace workspace,
        MiniMeOptions options,
        ServerOptions server,
        IEmbeddingGenerator<string, Embedding<float>>? embeddings = null,
        string? embeddingModel = null,
        TrustStore? trust = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(server);
        Workspace = workspace;
        Options = options;
        Server = server;
        Embeddings = embeddings;
        EmbeddingModel = embeddings is null ? null : embeddingModel;
        Trust = trust ?? TrustStore.ForUser();
        TokenCounter = new TiktokenTokenCounter();
        Broker = new ContextBroker(TokenCounter);
    }

    public Workspace Workspace { get; }
    public MiniMeOptions Options { get; }
    public ServerOptions Server { get; }
    public IEmbeddingGenerator<string, Embedding<float>>? Embeddings { get; }
    public string? EmbeddingModel { get; }
    /// <summary>Workspace trust: an untrusted workspace serves everything but executes no approved action.</summary>
    public TrustStore Trust { get; }
    public ITaskClassifier Classifier { get; } = new KeywordTaskClassifier();
    public IMaskPolicy MaskPolicy { get; } = new HeuristicMaskPolicy();
    public ITokenCounter TokenCounter { get; }
    public IContextBroker Broker { get; }
}
