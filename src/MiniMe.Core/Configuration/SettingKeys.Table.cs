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
            ("name", Value(typeof(string))))),
        ("memory", Section(
            ("store", Value(typeof(MemoryStoreKind))),
            ("path", Value(typeof(string))),
            ("connectionString", Value(typeof(string))),
            ("vectorSearch", Value(typeof(VectorSearchMode))),
            ("traces", Value(typeof(TraceStoreKind))),
            ("lexical", Value(typeof(LexicalEngineKind))))),
        ("import", Section(
            ("chunkChars", Value(typeof(int))),
            ("overlapChars", Value(typeof(int))),
            ("maxFileBytes", Value(typeof(long))),
            ("ignoreDirectories", List(Value(typeof(string)))))),
        ("retrieval", Section(
            ("defaultK", Value(typeof(int))),
            ("titleWeight", Value(typeof(double))),
            ("bodyWeight", Value(typeof(double))),
            ("symbolWeight", Value(typeof(double))),
            ("fusion", Value(typeof(FusionMethod))),
            ("rrfK", Value(typeof(int))),
            ("normalization", Value(typeof(ScoreNormalization))),
            ("denseWeight", Value(typeof(double))),
            ("identifierDenseWeight", Value(typeof(double))),
            ("denseFloor", Value(typeof(double))),
            ("denseMinBest", Value(typeof(double))),
            ("recencyHalfLifeDays", Value(typeof(double))))),
        ("context", Section(
            ("budgetTokens", Value(typeof(int))))),
        ("embeddings", Section(
            ("model", Value(typeof(string))),
            ("provider", Value(typeof(EmbeddingProvider?))),
            ("modelPath", Value(typeof(string))),
            ("vocabPath", Value(typeof(string))),
            ("pooling", Value(typeof(MiniMe.Embeddings.EmbeddingPooling?))),
            ("queryPrefix", Value(typeof(string))),
            ("documentPrefix", Value(typeof(string))),
            ("maxTokens", Value(typeof(int?))),
            ("maxWindows", Value(typeof(int))),
            ("threads", Value(typeof(int))),
            ("batchSize", Value(typeof(int))),
            ("cacheDirectory", Value(typeof(string))),
            // Read-only, so never bound; known all the same, as to reflection (a key the binder ignores, not a typo).
            ("effectiveModel", Value(typeof(string))),
            ("enabled", Value(typeof(bool))))),
        ("vectors", Section(
            ("annThreshold", Value(typeof(int))),
            ("m", Value(typeof(int))),
            ("efConstruction", Value(typeof(int))),
            ("efSearch", Value(typeof(int))),
            ("halfPrecision", Value(typeof(bool))))),
        ("facts", Section(
            ("reinforceConfidence", Value(typeof(double))),
            ("supersedeConfidence", Value(typeof(double))),
            ("reviewConfidence", Value(typeof(double))),
            ("duplicateCosine", Value(typeof(double))),
            ("relatedCosine", Value(typeof(double))),
            ("candidates", Value(typeof(int))),
            ("maxChars", Value(typeof(int))),
            ("capture", Value(typeof(FactCaptureMode))),
            ("captureConfidence", Value(typeof(double))),
            ("captureMaxFacts", Value(typeof(int))))),
        ("llm", Section(
            ("provider", Value(typeof(LlmProvider))),
            ("endpoint", Value(typeof(string))),
            ("model", Value(typeof(string))),
            ("apiKeyVariable", Value(typeof(string))),
            ("timeoutSeconds", Value(typeof(int))),
            ("maxRetries", Value(typeof(int))),
            ("retryBaseDelayMs", Value(typeof(int))),
            ("maxRunTokens", Value(typeof(int))),
            ("maxOutputTokens", Value(typeof(int))),
            ("maxIterations", Value(typeof(int))),
            ("maxRepairAttempts", Value(typeof(int))),
            ("skipAgentsBelow", Value(typeof(double))),
            ("temperature", Value(typeof(double?))),
            ("responseFormat", Value(typeof(LlmResponseFormat))),
            ("prices", List(Section(
                ("model", Value(typeof(string))),
                ("inputPerMillion", Value(typeof(decimal))),
                ("outputPerMillion", Value(typeof(decimal)))))),
            ("models", List(Section(
                ("name", Value(typeof(string))),
                ("provider", Value(typeof(LlmProvider))),
                ("endpoint", Value(typeof(string))),
                ("model", Value(typeof(string))),
                ("apiKeyVariable", Value(typeof(string))),
                ("inputPerMillion", Value(typeof(decimal?))),
                ("outputPerMillion", Value(typeof(decimal?))),
                ("timeoutSeconds", Value(typeof(int?)))))),
            ("agents", Section(
                ("architect", Value(typeof(string))),
                ("builder", Value(typeof(string))),
                ("critic", Value(typeof(string))),
                ("integrator", Value(typeof(string))),
                ("chat", Value(typeof(string))))),
            ("fallbacks", List(Value(typeof(string)))))),
        ("router", Section(
            ("rules", List(Section(
                ("when", Section(
                    ("agent", Value(typeof(string))),
                    ("nodeType", Value(typeof(string))),
                    ("complexity", Value(typeof(TaskComplexity?))),
                    ("budgetBelowTokens", Value(typeof(long?))))),
                ("model", Value(typeof(string)))))))),
        ("tools", Section(
            ("root", Value(typeof(string))),
            ("commandTimeoutSeconds", Value(typeof(int))),
            ("maxOutputBytes", Value(typeof(int))),
            ("traceOutputBytes", Value(typeof(int))),
            ("maxFileBytes", Value(typeof(long))),
            ("sandbox", Value(typeof(SandboxMode))),
            ("allowNetwork", Value(typeof(bool))),
            ("sandboxReadOnly", List(Value(typeof(string)))))),
        ("hooks", List(Section(
            ("event", Value(typeof(string))),
            ("program", List(Value(typeof(string)))),
            ("match", Section(
                ("tool", Value(typeof(string))))),
            ("timeoutSeconds", Value(typeof(int))),
            ("onError", Value(typeof(MiniMe.Hooks.HookErrorPolicy?))),
            // Read-only, so never bound; known all the same, as to reflection.
            ("effectiveOnError", Value(typeof(MiniMe.Hooks.HookErrorPolicy))),
            ("displayName", Value(typeof(string)))))),
        ("agents", Section(
            ("tools", Value(typeof(bool))),
            ("maxToolCalls", Value(typeof(int))),
            ("maxToolResultBytes", Value(typeof(int))),
            ("currentFileBytes", Value(typeof(int))))),
        ("masks", Section(
            ("policy", Value(typeof(MaskPolicyKind)))))));

    private static Node Section(params (string Name, Node Node)[] children)
    {
        var section = new Node(Kind.Section);
        foreach (var (name, node) in children) section.Children[name] = (name, new Lazy<Node>(node));
        return section;
    }

    /// <summary>A single value of <paramref name="declared"/> (not generic: an instantiation per value type would be JIT-compiled at start-up).</summary>
    private static Node Value(Type declared)
    {
        var underlying = Nullable.GetUnderlyingType(declared);
        var type = underlying ?? declared;
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
