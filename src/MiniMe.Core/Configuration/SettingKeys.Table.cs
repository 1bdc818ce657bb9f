namespace MiniMe.Configuration;

public sealed partial class SettingKeys
{
    /// <summary>
    /// The keys of <see cref="MiniMeOptions"/>, written out: what <see cref="For{TRoot}"/> reads from the
    /// options classes by reflection, in their declaration order (the order "known settings: ..." lists
    /// them), without a type walk at every command's start-up. SettingKeysTableTests holds it equal to the
    /// reflected keys, so a property added to an options class and not here fails the build's tests.
    /// </summary>
    internal static SettingKeys OfMiniMeOptions() => new(Section(
        ("user", Section(
            ("name", Value<string>()))),
        ("memory", Section(
            ("store", Value<MemoryStoreKind>()),
            ("path", Value<string>()),
            ("connectionString", Value<string>()),
            ("vectorSearch", Value<VectorSearchMode>()),
            ("traces", Value<TraceStoreKind>()))),
        ("import", Section(
            ("chunkChars", Value<int>()),
            ("overlapChars", Value<int>()),
            ("maxFileBytes", Value<long>()),
            ("ignoreDirectories", List(Value<string>())))),
        ("retrieval", Section(
            ("defaultK", Value<int>()),
            ("titleWeight", Value<double>()),
            ("bodyWeight", Value<double>()),
            ("symbolWeight", Value<double>()),
            ("fusion", Value<FusionMethod>()),
            ("rrfK", Value<int>()),
            ("normalization", Value<ScoreNormalization>()),
            ("denseWeight", Value<double>()),
            ("identifierDenseWeight", Value<double>()),
            ("denseFloor", Value<double>()),
            ("denseMinBest", Value<double>()),
            ("recencyHalfLifeDays", Value<double>()))),
        ("context", Section(
            ("budgetTokens", Value<int>()))),
        ("embeddings", Section(
            ("model", Value<string>()),
            ("provider", Value<EmbeddingProvider?>()),
            ("modelPath", Value<string>()),
            ("vocabPath", Value<string>()),
            ("pooling", Value<MiniMe.Embeddings.EmbeddingPooling?>()),
            ("queryPrefix", Value<string>()),
            ("documentPrefix", Value<string>()),
            ("maxTokens", Value<int?>()),
            ("maxWindows", Value<int>()),
            ("threads", Value<int>()),
            ("batchSize", Value<int>()),
            ("cacheDirectory", Value<string>()),
            // Read-only, so never bound; known all the same, as to reflection (a key the binder ignores, not a typo).
            ("effectiveModel", Value<string>()),
            ("enabled", Value<bool>()))),
        ("vectors", Section(
            ("annThreshold", Value<int>()),
            ("m", Value<int>()),
            ("efConstruction", Value<int>()),
            ("efSearch", Value<int>()),
            ("halfPrecision", Value<bool>()))),
        ("facts", Section(
            ("reinforceConfidence", Value<double>()),
            ("supersedeConfidence", Value<double>()),
            ("reviewConfidence", Value<double>()),
            ("duplicateCosine", Value<double>()),
            ("relatedCosine", Value<double>()),
            ("candidates", Value<int>()),
            ("maxChars", Value<int>()))),
        ("llm", Section(
            ("provider", Value<LlmProvider>()),
            ("endpoint", Value<string>()),
            ("model", Value<string>()),
            ("apiKeyVariable", Value<string>()),
            ("timeoutSeconds", Value<int>()),
            ("maxRetries", Value<int>()),
            ("retryBaseDelayMs", Value<int>()),
            ("maxRunTokens", Value<int>()),
            ("maxOutputTokens", Value<int>()),
            ("maxIterations", Value<int>()),
            ("maxRepairAttempts", Value<int>()),
            ("skipAgentsBelow", Value<double>()),
            ("temperature", Value<double?>()),
            ("responseFormat", Value<LlmResponseFormat>()),
            ("prices", List(Section(
                ("model", Value<string>()),
                ("inputPerMillion", Value<decimal>()),
                ("outputPerMillion", Value<decimal>())))))),
        ("tools", Section(
            ("root", Value<string>()),
            ("commandTimeoutSeconds", Value<int>()),
            ("maxOutputBytes", Value<int>()),
            ("maxFileBytes", Value<long>()),
            ("sandbox", Value<SandboxMode>()),
            ("allowNetwork", Value<bool>()),
            ("sandboxReadOnly", List(Value<string>()))))));

    private static Node Section(params (string Name, Node Node)[] children)
    {
        var section = new Node(Kind.Section);
        foreach (var (name, node) in children) section.Children[name] = (name, new Lazy<Node>(node));
        return section;
    }

    private static Node Value<T>()
    {
        var underlying = Nullable.GetUnderlyingType(typeof(T));
        var type = underlying ?? typeof(T);
        return new Node(Kind.Value, type) { Optional = underlying is not null || !type.IsValueType };
    }

    private static Node List(Node element) => new(Kind.List) { Element = element };

    /// <summary>Every key, one line each ("llm:prices:0:model value System.String optional"), in order; for comparing two descriptions.</summary>
    internal IReadOnlyList<string> Describe()
    {
        var lines = new List<string>();
        Describe(_root, "", lines);
        return lines;
    }

    private static void Describe(Node node, string path, List<string> lines)
    {
        lines.Add($"{path} {node.Kind} {node.ValueType?.FullName}{(node.Optional ? " optional" : "")}");
        if (node.Kind == Kind.Section)
            foreach (var (key, (name, child)) in node.Children)
                Describe(child.Value, path.Length == 0 ? $"{key}={name}" : $"{path}:{key}={name}", lines);
        else if (node.Element is { } element)
            Describe(element, path + ":0", lines);
    }
}
