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
}
