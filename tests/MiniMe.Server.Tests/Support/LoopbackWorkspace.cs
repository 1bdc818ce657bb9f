using MiniMe.Testing;

namespace MiniMe.Server.Tests.Support;

/// <summary>Points an initialized workspace's config.yaml at the loopback OpenAI-compatible server (the real provider code talks to it).</summary>
public static class LoopbackWorkspace
{
    public static void UseModel(string home, LoopbackOpenAiServer model)
    {
        var config = Path.Combine(home, "config.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("  provider: none ",
            "  provider: openai\n  endpoint: " + model.BaseUrl + "\n  model: loopback-model\n  apiKeyVariable: MINIME_TEST_UNSET_KEY\n  # ", StringComparison.Ordinal));
    }

    /// <summary>workflows/three.workflow.yaml: plan (architect) → build (builder, told the plan's summary) → integrate (integrator).</summary>
    public static void AddThreeNodeWorkflow(string home) => File.WriteAllText(Path.Combine(home, "workflows", "three.workflow.yaml"), ThreeNodes);

    /// <summary>The text of <see cref="AddThreeNodeWorkflow"/>'s manifest.</summary>
    public const string ThreeNodes = """
        name: three
        description: plan, build, integrate
        nodes:
          - { id: plan, type: agent, agent: architect }
          - { id: build, type: agent, agent: builder, prompt: "Follow the plan: {{nodes.plan.output.summary}}" }
          - { id: integrate, type: agent, agent: integrator }
        edges:
          - { from: plan, to: build }
          - { from: build, to: integrate }
        entry: plan
        exit: integrate
        """;
}
