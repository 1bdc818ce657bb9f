namespace MiniMe.Configuration;

/// <summary>The files `minime init` writes: every setting with its default and a comment.</summary>
internal static class DefaultFiles
{
    public static string Config(string userName) => $$"""
        # MiniMe configuration. Any value can be overridden by an environment variable with the
        # MINIME_ prefix and "__" for nesting, e.g. MINIME_LLM__PROVIDER=ollama.
        user:
          name: {{YamlQuote(userName)}}

        memory:
          store: sqlite          # embedded default; one file in this workspace
          path: memory.db

        import:
          chunkChars: 1200       # target chunk size; chunks break on paragraph boundaries
          overlapChars: 200      # tail of the previous chunk repeated at the start of the next
          maxFileBytes: 4194304  # larger files are skipped and reported
          ignoreDirectories: [.git, bin, obj, node_modules, .minime, .vs, .idea, __pycache__]

        retrieval:
          defaultK: 8
          titleWeight: 2.5       # BM25 weight of the file name and section heading
          bodyWeight: 1.0
          symbolWeight: 0.7      # code identifiers split into words (SqliteStore -> sqlite store)
          rrfK: 60               # reciprocal rank fusion constant (when embeddings are on)
          recencyHalfLifeDays: 30

        context:
          budgetTokens: 6000     # counted with the o200k_base tokenizer

        embeddings:
          provider: none         # none = lexical (BM25) retrieval only; onnx = local model file
          # modelPath: models/all-MiniLM-L6-v2.onnx
          # vocabPath: models/vocab.txt
          maxTokens: 256

        facts:
          reinforceConfidence: 0.8   # a duplicate this sure reinforces the known fact (no new row)
          supersedeConfidence: 0.85  # a contradiction this sure supersedes it (kept in history)
          reviewConfidence: 0.5      # anything related and at least this sure waits in `minime facts review`
          duplicateCosine: 0.95      # with embeddings: this similar means the same statement
          relatedCosine: 0.85        # with embeddings: this similar is worth a review
          candidates: 20             # known facts compared with each new one
          maxChars: 1000

        llm:
          provider: none         # openai | ollama | anthropic
          # endpoint: http://127.0.0.1:11434
          # model: llama3.1
        """ + "\n";

    public const string Identity = """
        # Who MiniMe works for: the persona it speaks with and the principles it applies.
        # scope: global | domain | task | agent; target names the domain or agent; magnitude 0-1.
        persona:
          voice: calm, direct, pragmatic engineer
          tone: plain and precise
          styleRules:
            - Lead with the answer, then the reasoning.
            - Prefer small, reversible steps.
          values:
            - correctness over cleverness
            - say what is not known

        principles:
          - name: Simplicity
            description: Choose the simplest design that meets the requirement; remove what is not needed.
            magnitude: 0.9
            scope: global
            tags: [design]
          - name: Tested behaviour
            description: Every change comes with a test that would fail if the behaviour broke.
            magnitude: 0.85
            scope: global
            tags: [testing]
          - name: Least privilege
            description: Grant the minimum access; validate input at trust boundaries; never log secrets.
            magnitude: 0.95
            scope: domain
            target: security
            tags: [security]
          - name: Observable systems
            description: Emit structured logs, metrics and traces for every external call.
            magnitude: 0.7
            scope: domain
            target: backend
            tags: [operations]
          - name: Reversible migrations
            description: Data migrations are additive first and can be rolled back.
            magnitude: 0.8
            scope: domain
            target: data
            tags: [database]
          - name: Critic is strict
            description: The critic rejects output that violates a principle with magnitude above 0.8.
            magnitude: 0.6
            scope: agent
            target: critic
        """ + "\n";

    public const string Allowlist = """
        # What MiniMe may touch, even when you approve an action. Paths are relative to the
        # workspace root and confined to it after resolving symlinks; commands run without a shell.
        write:
          include:
            - "src/**"
            - "tests/**"
            - "docs/**"
          exclude:
            - "**/.env"
            - "**/*.pem"
            - "**/*.key"
            - "**/id_rsa*"
        commands:
          - program: dotnet
            args: ["build", "test", "format"]
          - program: git
            args: ["status", "diff", "log"]
        """ + "\n";

    private static string YamlQuote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
