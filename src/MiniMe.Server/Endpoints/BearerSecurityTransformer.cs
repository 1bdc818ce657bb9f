using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace MiniMe.Server.Endpoints;

/// <summary>Declares the bearer API key in the OpenAPI document and requires it on every operation but /health.</summary>
internal sealed class BearerSecurityTransformer : IOpenApiDocumentTransformer
{
    private const string SchemeName = "ApiKey";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "MiniMe API";
        document.Info.Description = "Chat, memory, runs and approvals for one MiniMe workspace. Send 'Authorization: Bearer <key>' (minime keys create NAME).";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A MiniMe API key (mm_...).",
        };
        var requirement = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] };
        foreach (var (path, item) in document.Paths)
        {
            if (path == "/health" || item.Operations is null) continue;
            foreach (var operation in item.Operations.Values)
                (operation.Security ??= []).Add(requirement);
        }
        return Task.CompletedTask;
    }
}
