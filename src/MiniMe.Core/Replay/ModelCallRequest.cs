using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Tracing;

namespace MiniMe.Replay;

/// <summary>
/// A model call's request in one canonical JSON shape: the model it goes to, every message (roles and
/// contents, tool calls and results included), and the options that change the answer (temperature,
/// top-p, the output cap, stop sequences, the response format with its schema, the tools offered with
/// their schemas and the tool mode). Its SHA-256 (<see cref="Hash"/>, over the unredacted JSON) names
/// the request; the recording keeps the JSON with secrets redacted.
/// </summary>
public static class ModelCallRequest
{
    /// <summary>The canonical JSON of the request, unredacted.</summary>
    public static JsonObject Canonical(IEnumerable<ChatMessage> messages, ChatOptions? options, string? defaultModel)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = new JsonObject
        {
            ["model"] = options?.ModelId ?? defaultModel,
            ["messages"] = new JsonArray([.. messages.Select(Message)]),
        };
        if (options is null) return request;
        if (options.Temperature is { } temperature) request["temperature"] = temperature;
        if (options.TopP is { } topP) request["top_p"] = topP;
        if (options.MaxOutputTokens is { } max) request["max_output_tokens"] = max;
        if (options.Seed is { } seed) request["seed"] = seed;
        if (options.StopSequences is { Count: > 0 } stops) request["stop"] = new JsonArray([.. stops.Select(s => (JsonNode?)s)]);
        if (options.ResponseFormat is { } format) request["response_format"] = Format(format);
        if (options.Tools is { Count: > 0 } tools) request["tools"] = new JsonArray([.. tools.Select(Tool)]);
        if (options.ToolMode is { } mode) request["tool_mode"] = mode switch
        {
            RequiredChatToolMode { RequiredFunctionName: { } name } => "required:" + name,
            RequiredChatToolMode => "required",
            NoneChatToolMode => "none",
            _ => "auto",
        };
        return request;
    }

    /// <summary>Lower-case hex SHA-256 of the canonical JSON.</summary>
    public static string Hash(JsonObject canonical)
    {
        ArgumentNullException.ThrowIfNull(canonical);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToJsonString(JsonFormats.Line))));
    }

    private static JsonNode Message(ChatMessage message)
    {
        var contents = new JsonArray();
        foreach (var content in message.Contents) contents.Add(Content(content));
        var node = new JsonObject { ["role"] = message.Role.Value };
        if (message.AuthorName is { } author) node["author"] = author;
        node["contents"] = contents;
        return node;
    }

    private static JsonNode Content(AIContent content) => content switch
    {
        TextContent text => new JsonObject { ["text"] = text.Text },
        TextReasoningContent reasoning => new JsonObject { ["reasoning"] = reasoning.Text },
        FunctionCallContent call => new JsonObject
        {
            ["call_id"] = call.CallId,
            ["name"] = call.Name,
            ["arguments"] = JsonSerializer.SerializeToNode(call.Arguments, AIJsonUtilities.DefaultOptions),
        },
        FunctionResultContent result => new JsonObject
        {
            ["result_of"] = result.CallId,
            ["result"] = JsonSerializer.SerializeToNode(result.Result, AIJsonUtilities.DefaultOptions),
            ["error"] = result.Exception?.Message,
        },
        _ => JsonSerializer.SerializeToNode(content, AIJsonUtilities.DefaultOptions) ?? new JsonObject(),
    };

    private static JsonNode Format(ChatResponseFormat format) => format switch
    {
        ChatResponseFormatJson json => new JsonObject
        {
            ["type"] = "json",
            ["name"] = json.SchemaName,
            ["description"] = json.SchemaDescription,
            ["schema"] = json.Schema is { } schema ? JsonNode.Parse(schema.GetRawText()) : null,
        },
        _ => new JsonObject { ["type"] = "text" },
    };

    private static JsonNode Tool(AITool tool)
    {
        var node = new JsonObject { ["name"] = tool.Name, ["description"] = tool.Description };
        if (tool is AIFunctionDeclaration function) node["schema"] = JsonNode.Parse(function.JsonSchema.GetRawText());
        return node;
    }
}
