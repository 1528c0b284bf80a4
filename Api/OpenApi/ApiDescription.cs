using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using PaySessions.Api.Merchants;
using Scalar.AspNetCore;

namespace PaySessions.Api.OpenApi;

/// <summary>
/// The machine-readable description of the merchant API at <see cref="DocumentPath"/>, generated
/// from the endpoints' metadata by Microsoft.AspNetCore.OpenApi, and the interactive reference at
/// <see cref="ReferencePath"/> (Scalar, its script served from this process, no CDN). Only the
/// merchant and provider API is described; the hosted page, the browser SDK, the sandbox's
/// checkout, health and the operators' dashboard are excluded (<c>ExcludeFromDescription</c>).
/// </summary>
public static class ApiDescription
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/docs";

    /// <summary>Payviox style: <c>Authorization: Bearer pk_…|sk_…</c> (and Bearer with the secret key on <c>/sessions</c>).</summary>
    public const string BearerScheme = "bearerApiKey";

    /// <summary>Xendit style: HTTP Basic with the secret key as user name and an empty password.</summary>
    public const string BasicScheme = "basicSecretKey";

    public static IServiceCollection AddPaySessionsApiDescription(this IServiceCollection services) =>
        services.AddOpenApi(DocumentName, options =>
        {
            // Only routes of the API group, which carry the shared answers: a route mapped beside
            // it would be described without them, so it is left out (and the route test names it).
            options.ShouldInclude = description => description.ActionDescriptor.EndpointMetadata.OfType<ApiResponses.DescribedRoute>().Any();
            options.CreateSchemaReferenceId = type => OpenApiOptions.CreateDefaultSchemaReferenceId(type) is { } id && type.Type.DeclaringType is { } outer
                ? outer.Name + id
                : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "PaySessions API",
                    Version = "1",
                    Description = "Payment sessions in two dialects: Payviox style (/session, /payment, /payments/methods; "
                        + "Bearer pk_/sk_ keys, Laravel-style field errors) and Xendit style (/sessions; HTTP Basic with the "
                        + "secret key, error_code bodies); and the providers' callback (/webhooks/{provider}, signed).",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "pk_… or sk_… API key",
                    Description = "An API key as a bearer token: pk_test_/pk_live_ (public) or sk_test_/sk_live_ (secret). "
                        + "Routes that need the secret key answer a public one as an unknown key.",
                };
                document.Components.SecuritySchemes[BasicScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "basic",
                    Description = "Xendit style: the secret key as the user name and an empty password (curl -u sk_test_…:).",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(async (operation, context, cancellationToken) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<ApiResponses.ReadsJsonBody>().LastOrDefault() is { } body)
                {
                    operation.RequestBody = new OpenApiRequestBody
                    {
                        Required = true,
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            [ApiResponses.JsonContentType] = new() { Schema = await context.GetOrCreateSchemaAsync(body.Described, cancellationToken: cancellationToken) },
                        },
                    };
                }

                if (ApiResponses.TakesMerchantKey(metadata) && context.Document is { } document)
                {
                    var forms = metadata.OfType<ApiKeyForms>().LastOrDefault() ?? ApiKeyForms.BearerAnyKey;
                    operation.Security ??= [];
                    if (forms.Basic)
                    {
                        operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BasicScheme, document)] = [] });
                    }

                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] });
                }

                foreach (var (status, response) in operation.Responses ?? [])
                {
                    if (response is OpenApiResponse concrete && Describe(status) is { } description)
                    {
                        concrete.Description = description;
                        if (status is "429" or "503")
                        {
                            concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
                            concrete.Headers["Retry-After"] = new OpenApiHeader
                            {
                                Description = "Seconds to wait before trying again.",
                                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                            };
                        }
                    }
                }
            });
            options.AddSchemaTransformer(async (schema, context, cancellationToken) =>
            {
                // AnyOf<…> stands for "one of these bodies": the schema becomes their anyOf.
                var type = context.JsonTypeInfo.Type;
                if (AnyOfTypes.IsAnyOf(type))
                {
                    schema.Type = null;
                    schema.Properties = null;
                    schema.AnyOf = [];
                    foreach (var member in type.GetGenericArguments())
                    {
                        schema.AnyOf.Add(await context.GetOrCreateSchemaAsync(member, cancellationToken: cancellationToken));
                    }
                }
            });
        });

    /// <summary>Maps the document and the reference; neither is part of the description itself.</summary>
    public static IEndpointRouteBuilder MapPaySessionsApiDescription(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapOpenApi(DocumentPath).ExcludeFromDescription();
        endpoints.MapScalarApiReference(ReferencePath, options =>
        {
            options.Title = "PaySessions API";
            options.OpenApiRoutePattern = DocumentPath;
            // Offline: no fonts from Scalar's CDN, no telemetry; the script is the bundled one
            // (no BundleUrl/CdnUrl set: Scalar serves its embedded standalone bundle under /docs).
            options.DefaultFonts = false;
            options.Telemetry = false;
        }).ExcludeFromDescription();
        return endpoints;
    }

    private static string? Describe(string status) => status switch
    {
        "400" => "The body (or a field of it) is not acceptable; nothing was written.",
        "401" => "No API key, or one that is malformed, unknown, revoked or of the wrong kind.",
        "405" => "Another method on this path is not allowed (answered for the methods the path does not take).",
        "413" => "The body is larger than 1 MiB.",
        "414" => "The URL is longer than 4096 characters.",
        "429" => "Too many requests (sessions for one customer or address, or failed keys from one address).",
        "431" => "The request headers are larger than 16 KiB.",
        "500" => "A fault of the service.",
        "503" => "A transient failure (database or cluster restarting); retry after Retry-After seconds.",
        _ => null,
    };
}
