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
          store: sqlite          # embedded default; one file in this workspace. postgres = a server
          path: memory.db
          # connectionString: Host=127.0.0.1;Database=minime;Username=minime   # or MINIME_MEMORY__CONNECTIONSTRING
          vectorSearch: auto     # postgres only: auto | exact | pgvector
          traces: files          # run traces: files (traces/, one JSONL file per run) | postgres (with the memory; every server instance sees every run)
          lexical: auto          # sqlite only: auto (Lucene.Net index memory.db.lexical/ in serve and eval, FTS5 in one-shot commands) | lucene | fts5

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
          fusion: convex         # with embeddings: convex (weighted normalised scores) | rrf (reciprocal rank)
          normalization: minmax  # convex: minmax | zscore, per query and list
          denseWeight: 0.4       # convex: weight of the cosine for questions (BM25 gets the rest)
          identifierDenseWeight: 0.1  # convex: the same for queries naming code (Type.Member, snake_case, "quotes")
          denseFloor: 0.2        # a chunk only dense search found must reach this cosine (0 = keep all)
          denseMinBest: 0.3      # BM25 alone when the best cosine is below this: nothing in memory is about the query (0 = never)
          rrfK: 60               # fusion: rrf only
          recencyHalfLifeDays: 30

        context:
          budgetTokens: 6000     # counted with the o200k_base tokenizer

        embeddings:
          model: minilm          # minilm (bundled all-MiniLM-L6-v2) | arctic-xs (bundled) | file | none (lexical only)
          # modelPath: models/model.onnx   # model: file only, with vocabPath, pooling (mean|cls), queryPrefix
          # vocabPath: models/vocab.txt
          threads: 0             # ONNX Runtime threads; 0 = one per core
          batchSize: 32          # texts per inference, sorted by length

        vectors:
          annThreshold: 20000    # below this many vectors per model, dense search scans exactly
          m: 16                  # HNSW links per node (memory.db.<model>.hnsw); changing it rebuilds
          efConstruction: 120    # HNSW build effort
          efSearch: 128          # HNSW query effort: higher = better recall, slower
          halfPrecision: true    # PostgreSQL: pgvector's HNSW index stores halfvec (smaller, same recall)

        facts:
          reinforceConfidence: 0.8   # a duplicate this sure reinforces the known fact (no new row)
          supersedeConfidence: 0.85  # a contradiction this sure supersedes it (kept in history)
          reviewConfidence: 0.5      # anything related and at least this sure waits in `minime facts review`
          duplicateCosine: 0.95      # with embeddings: this similar means the same statement
          relatedCosine: 0.85        # with embeddings: this similar is worth a review
          candidates: 20             # known facts compared with each new one
          maxChars: 1000
          capture: off               # off | review | auto: facts captured from chat turns and runs (one more model call each; docs/facts.md)
          captureConfidence: 0.7     # auto: a captured fact this sure is remembered, a less sure one waits in `minime facts review`
          captureMaxFacts: 5         # facts one extraction may propose at most

        llm:
          provider: none         # none (dry runs only) | openai (any OpenAI-compatible server) | ollama | anthropic
          # endpoint: http://127.0.0.1:11434   # openai: base URL up to /v1; defaults per provider
          # model: llama3.1
          # apiKeyVariable: OPENAI_API_KEY     # the environment variable holding the key (never the key itself)
          timeoutSeconds: 120    # per attempt
          maxRetries: 3          # after 429, 5xx, connection errors and timeouts, with exponential backoff
          retryBaseDelayMs: 1000 # first retry delay (a Retry-After header wins)
          maxRunTokens: 100000   # all model calls of one run; the run stops when exceeded
          maxOutputTokens: 4096
          maxIterations: 3       # Builder/Critic revision rounds at most
          maxRepairAttempts: 2   # re-asks after invalid agent output
          skipAgentsBelow: 0.2   # agents with a lower routing weight (from the masks) are skipped
          # temperature: 0.2     # overrides the masks' temperature
          responseFormat: json   # json | text
          prices:                # USD per million tokens
            - model: gpt-4o-mini
              inputPerMillion: 0.15
              outputPerMillion: 0.60
            - model: gpt-4o
              inputPerMillion: 2.50
              outputPerMillion: 10.00
          # models:              # named model endpoints (docs/models.md); unset: provider/endpoint/model above is the model 'default'
          #   - name: small
          #     provider: ollama
          #     endpoint: http://127.0.0.1:11434
          #     model: llama3.1
          #   - name: big
          #     provider: openai
          #     model: gpt-4o
          #     apiKeyVariable: OPENAI_API_KEY
          #     inputPerMillion: 2.50  # this model's prices (else llm.prices by model id)
          #     outputPerMillion: 10.00
          #     timeoutSeconds: 300    # per attempt (else llm.timeoutSeconds)
          # agents:              # the named model of each agent; unlisted agents use 'default' (else the first of models)
          #   architect: big
          #   builder: small
          #   critic: small
          #   integrator: small
          #   chat: small
          # fallbacks:           # tried in order after a timeout, HTTP 5xx, 429 (after maxRetries) or an unreachable server
          #   - small

        # router:                # the first rule whose conditions all hold picks the model, before llm.agents
        #   rules:
        #     - when: {complexity: high}          # the classifier's task complexity: low | medium | high
        #       model: big
        #     - when: {budgetBelowTokens: 5000}   # fewer tokens than this left of the run's budget
        #       model: small
        #     - when: {agent: critic}             # also nodeType (a workflow node's type)
        #       model: small

        tools:
          root: ..                    # the directory tools work in, relative to this folder (.. = the project holding .minime)
          commandTimeoutSeconds: 120  # then the command and everything it started is killed
          maxOutputBytes: 1048576     # per stream; the rest is counted and dropped
          traceOutputBytes: 16384     # per stream: the end of a command's stdout/stderr kept (redacted) in the run's trace; 0 = none
          maxFileBytes: 4194304       # largest file read, written or patched
          sandbox: auto               # auto = bubblewrap when it works here; bwrap = required; none (commands that run code then run as you)
          allowNetwork: false         # commands in the sandbox get no network unless true
          sandboxReadOnly: []         # absolute folders outside the root sandboxed commands may read (system folders, toolchains and the NuGet cache are visible already)

        # hooks:                       # programs told about run, agent-call and tool events (docs/hooks.md); run like run_command: argv (no shell), sandbox, scrubbed environment
        #   - event: before_tool       # before_run | after_run | before_node | after_node | before_agent_call | after_agent_call | before_tool | after_tool
        #     program: ["/usr/bin/env", "python3", "hooks/check_tool.py"]   # gets the event as JSON on stdin; answers one JSON object on stdout: decision allow, deny (with a reason) or patch (a JSON merge patch)
        #     match:
        #       tool: run_command      # tool events only: just this tool
        #     timeoutSeconds: 10       # then it is killed and onError applies
        #     onError: deny            # deny | allow when it fails, times out or answers garbage (default: deny before_*, allow after_*)

        agents:
          tools: true                 # agents may call read-only tools while they think (read_file, search_repo, retrieve_memory, changed_files); false for a model without tool calls
          maxToolCalls: 8             # tool calls per agent call; further ones are refused and the model is told to answer
          maxToolResultBytes: 16384   # what one tool call returns to the model at most (then "truncated")
          currentFileBytes: 65536     # current text of the files the Architect's plan names, in the Builder's prompt (all files together)

        masks:
          policy: heuristic           # heuristic | learned (the active model of `minime train` / `minime models use`) | auto (the learned one only after it beat the heuristic in an evaluation); docs/learning.md

        # server:                      # `minime serve`
        #   urls: http://127.0.0.1:8002 # ';'-separated; loopback unless you choose otherwise
        #   certificate: certs/minime.pfx   # for https:// URLs, relative to this folder: .pfx/.p12, or a PEM .crt/.pem with certificateKey; unset = the .NET development certificate (`dotnet dev-certs https`)
        #   certificateKey: certs/minime.key  # PEM only: the private key file (unset: in the certificate file)
        #   certificatePasswordVariable: MINIME_CERTIFICATE_PASSWORD  # the environment variable holding the .pfx (or encrypted key) password, never the password itself

        # goals:
        #   alertDays: 7              # active goals due within this many days (or overdue) are alerts: `minime goals`, chat, GET /v1/goals/alerts, /v1/notifications

        # schedules:
        #   timeZone: local           # the zone cron expressions of `minime schedule` are read in: local (this machine's), UTC, or an IANA id (Europe/Berlin)

        # mcp:                          # MiniMe's memory for MCP clients: `minime mcp` (stdio) and /mcp on `minime serve`
        #   allowWrites: false          # true also offers memory_import_text and remember; off, MCP clients only read
        #   servers:                    # MCP servers whose tools MiniMe's agents may use (docs/mcp.md); started or reached only in a trusted workspace (`minime trust`)
        #     - name: files             # letters, digits, '-', '_': its tools are mcp__files__{tool}
        #       command: ["npx", "-y", "@modelcontextprotocol/server-filesystem", "/home/me/notes"]  # stdio: program and arguments as a list, never a shell
        #       env: [NOTES_TOKEN]      # names of variables the program gets (values stay in your environment); else only PATH, HOME, locale
        #       readOnly: true          # you vouch its tools only read: agents call them while they think; false (default): every call is a proposal that waits for approval
        #       tools: [read_file, search_files]  # only these of its tools; empty or absent: all
        #       timeoutSeconds: 30      # connecting and each call give up after this long (1-600)
        #     - name: remote
        #       url: https://mcp.example.com/mcp  # or an http(s) endpoint (Streamable HTTP or SSE) instead of command
        #       apiKeyVariable: REMOTE_MCP_KEY    # url only: the variable holding a token sent as Authorization: Bearer

        # signal:                      # `minime signal`, `minime badge`, GET /v1/signal and /v1/badge.svg
        #   publishBadge: false        # true: GET /v1/badge.svg answers without an API key (the owner's badge only; /v1/signal keeps needing a key)

        # reflect:                     # `minime reflect`, POST /v1/reflect (docs/reflection.md)
        #   perspectives: engineer,librarian,philosopher,skeptic   # the panel when --perspectives is not given; built-in: engineer, librarian, philosopher, skeptic, ethicist
        #   embeddings: true           # the disagreement index adds the cosine distance of the assessments' embeddings when embeddings.model is on; false: stances and confidences only
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
        # What MiniMe's tools may touch, even when you approve an action. Paths are relative to the
        # tools root (tools.root in config.yaml) and confined to it after resolving symlinks and "..".
        # Globs: ** any number of directories, * any characters but /, ? one character.
        # Secrets (.env, *.pem, *.key, id_rsa*, .ssh/, ...), .git/ internals and this .minime folder
        # are always refused, whatever is listed here; exclude wins over include.
        read:
          include: ["**"]
          exclude:
            - "**/.env"
            - "**/.env.*"
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
          # Files that run code when something reads them (Directory.Build.*, *.csproj, *.props,
          # *.targets, *.rsp, package.json, Makefile, .github/**, .vscode/**, .gitattributes, ...) are
          # refused even where include matches, unless listed here too: the next build, test run,
          # editor or CI job would run what the agent wrote in them.
          code: []
        # Commands run as argument vectors, never through a shell. Each args entry is a pattern for
        # the arguments after the program: words match one argument each (* and ? glob inside it),
        # a lone * is any one argument, and a trailing ... allows any further arguments.
        # Options are checked the way the program parses them: for git and dotnet MiniMe knows which
        # options only change what is shown or built, and refuses the rest (git -c, --output,
        # --ext-diff; dotnet -p:/-property:, -logger:, @response files, ...); for other programs an
        # option is allowed only where a pattern spells it out or the rule lists it under options
        # (e.g. options: ["-n <int>", "--format <text>"]). Shell metacharacters (; & | $ ` < > newline
        # ...) are refused unless the rule sets allowShellMetacharacters: true; deny lists argument
        # globs refused anywhere in the vector.
        # Nothing here runs code from this repository: git only shows history and state, and secret
        # files are kept out of its output.
        commands:
          - program: git
            args: ["status ...", "diff ...", "log ...", "show ..."]
          - program: dotnet
            args: ["--version", "--info"]
        # To let agents build and test .NET code, add:
        #   - program: dotnet
        #     args: ["build ...", "test ..."]
        # That grants running this repository's build files (targets, props, analyzers), and `test`
        # runs its code: inside the sandbox (tools.sandbox) they read the project, write under it but
        # not in .git or .minime, see no secrets and have no network; without a sandbox they are refused
        # unless tools.sandbox is none, and then they run as you.
        # Extra environment variables passed to commands (PATH, HOME, LANG and a few locale and
        # .NET variables are passed already); names that look like secrets are never passed.
        environment: []
        """ + "\n";

    private static string YamlQuote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
