using System.Text.Json.Nodes;
using MiniMe.Agents.Json;

namespace MiniMe.Agents.Tests.Json;

public class JsonSchemaValidatorTests
{
    private static readonly JsonObject Schema = JsonNode.Parse("""
        {
          "type": "object",
          "required": ["name", "items"],
          "additionalProperties": false,
          "properties": {
            "name": { "type": "string", "minLength": 1 },
            "kind": { "type": "string", "enum": ["a", "b"] },
            "score": { "type": "number", "minimum": 0, "maximum": 1 },
            "items": { "type": "array", "minItems": 1, "items": { "type": "object", "required": ["id"], "properties": { "id": { "type": "integer" } } } },
            "note": { "type": ["string", "null"] }
          }
        }
        """)!.AsObject();

    [Fact]
    public void ValidDocumentHasNoErrors() =>
        Assert.Empty(JsonSchemaValidator.Validate(JsonNode.Parse("""{"name":"x","kind":"a","score":0.5,"items":[{"id":1}],"note":null}"""), Schema));

    [Fact]
    public void ErrorsNameThePath()
    {
        var errors = JsonSchemaValidator.Validate(JsonNode.Parse("""{"name":"","kind":"c","score":2,"items":[{"id":"one"},{}],"extra":1}"""), Schema);
        Assert.Contains("$.name: must not be empty", errors);
        Assert.Contains(errors, e => e.StartsWith("$.kind: must be one of", StringComparison.Ordinal));
        Assert.Contains("$.score: must be <= 1", errors);
        Assert.Contains("$.items[0].id: expected integer, got string", errors);
        Assert.Contains("$.items[1].id: required", errors);
        Assert.Contains(errors, e => e.StartsWith("$.extra: not allowed", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingRequiredAndWrongRootType()
    {
        Assert.Equal(["$.name: required", "$.items: required"], JsonSchemaValidator.Validate(new JsonObject(), Schema));
        Assert.Equal(["$: expected object, got array"], JsonSchemaValidator.Validate(new JsonArray(), Schema));
        Assert.Equal(["$.items: needs at least 1 item(s)"], JsonSchemaValidator.Validate(JsonNode.Parse("""{"name":"x","items":[]}"""), Schema));
    }
}
