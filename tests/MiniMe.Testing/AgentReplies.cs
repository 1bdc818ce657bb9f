using System.Text.Json.Nodes;
using MiniMe.Agents;

namespace MiniMe.Testing;

/// <summary>Valid answers for each agent, and a responder that answers by the agent the prompt addresses.</summary>
public static class AgentReplies
{
    /// <summary>A task complex enough that the whole team (architect, builder, critic, integrator) works on it.</summary>
    public const string TeamTask = "Design and implement a greeting module, refactor the service layer and add integration tests";

    public const string Plan = """{"summary":"One helper and its test.","modules":[{"name":"Greeter","responsibility":"Formats greetings","depends_on":[]}],"files":[{"path":"src/Greeter.cs","purpose":"the helper"}]}""";

    public const string Build = """{"summary":"Adds Greeter with a test.","files":[{"path":"src/Greeter.cs","content":"public static class Greeter { public static string Hi(string n) => $\"Hi {n}\"; }","purpose":"the helper"},{"path":"tests/GreeterTests.cs","content":"// test","purpose":"proves Hi"}],"patches":[]}""";

    public const string CriticOk = """{"valid":true,"violations":[],"suggestions":["Consider a null check."]}""";

    public const string CriticReject = """{"valid":false,"violations":[{"principle":"Simplicity","message":"Too many layers","location":"src/Greeter.cs"}],"suggestions":["Inline the helper."]}""";

    public const string Integration = """{"summary":"Write the helper and its test, then run the tests.","proposals":[{"tool":"write_file","arguments":{"path":"src/Greeter.cs","content":"public static class Greeter {}"},"rationale":"the helper"},{"tool":"run_command","arguments":{"argv":["dotnet","test"]},"rationale":"prove it"}]}""";

    /// <summary>Which agent a system prompt addresses.</summary>
    public static string AgentOf(string systemText) =>
        systemText.Contains("You are the Architect", StringComparison.Ordinal) ? AgentNames.Architect
        : systemText.Contains("You are the Builder", StringComparison.Ordinal) ? AgentNames.Builder
        : systemText.Contains("You are the Critic", StringComparison.Ordinal) ? AgentNames.Critic
        : systemText.Contains("You are the Integrator", StringComparison.Ordinal) ? AgentNames.Integrator
        : "unknown";

    /// <param name="integration">The integrator's answer (its proposals) instead of <see cref="Integration"/>.</param>
    public static ScriptedReply For(string agent, bool criticAccepts = true, string? integration = null) => ScriptedReply.Text(agent switch
    {
        AgentNames.Architect => Plan,
        AgentNames.Builder => Build,
        AgentNames.Critic => criticAccepts ? CriticOk : CriticReject,
        AgentNames.Integrator => integration ?? Integration,
        _ => "I do not know this agent.",
    });

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
