using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Idempotency;

namespace PaySessions.Api.Http;

/// <summary>
/// <c>Idempotency-Key</c> on the merchant API's POSTs (Stripe's behaviour, the IETF draft's
/// statuses). A request without the header runs as always. With it, the key (1 to 255 visible
/// ASCII characters, else 400) is claimed for the key's business and mode, with a fingerprint of
/// the request: method, path and query, the key's kind, the acting business (a Xendit
/// <c>for-user-id</c>) and the body's bytes. Then:
/// <list type="bullet">
/// <item>first use: the request runs; its answer is stored and sent, unless it says "not now"
/// (5xx, an exception, 408, 409, 425, 429): then the key is given back, so a retry runs again;</item>
/// <item>the same request again within the retention: the stored status, content type,
/// <c>Location</c> and body bytes, with <c>Idempotent-Replayed: true</c>; nothing runs;</item>
/// <item>the same request while the first still runs: 409 with <c>Retry-After</c> (the caller retries);</item>
/// <item>another request with the key: 422.</item>
/// </list>
/// It runs inside authentication (a bad API key is 401 and claims nothing) and the group's
/// <c>for-user-id</c> filter (403 claims nothing), and outside the JSON body filter: a body that
/// is not a JSON object is answered 400 and stored like any other answer of the route, so the
/// same bytes replay that 400 and a corrected body needs a new key. A body over 1 MiB is 413 and
/// claims nothing. Rate limits (429) run inside and are never stored.
/// </summary>
public sealed partial class IdempotencyKeyFilter(IGrainFactory grains, ILogger<IdempotencyKeyFilter> logger) : IEndpointFilter
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int RetryAfterSeconds = 1;

    public const string InvalidKeyProblem = "must be 1 to 255 visible ASCII characters";
    public const string InvalidKeyMessage = "The Idempotency-Key header must be 1 to 255 visible ASCII characters, sent once.";
    public const string ReusedMessage =
        "This Idempotency-Key was already used with another request (method, path, body or acting business). Use a new key for a new request.";
    public const string InUseMessage = "A request with this Idempotency-Key is still being processed. Retry after it has finished.";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var sent = http.Request.Headers[Header];
        if (sent.Count == 0)
        {
            return await next(context);
        }

        if (sent.Count > 1 || !IdempotencyKeys.IsWellFormed(sent[0]))
        {
            return ErrorShapes.For(http).Failure(RequestFailure.InvalidIdempotencyKey);
        }

        if (await RequestBody.ReadAsync(http) is not { } body)
        {
            return ErrorShapes.For(http).Failure(RequestFailure.BodyTooLarge);
        }

        var caller = Merchant.From(http.User);
        var fingerprint = Fingerprint(http, caller, ActingMerchant.Of(http), body.Span);
        var grain = grains.Get<IIdempotencyKeyGrain>(IdempotencyKeys.GrainKey(caller.BusinessId, caller.Livemode, sent[0]!));

        // The token is made here, so a retried Begin (a transient failure after the claim was
        // written) is recognised as this request's own claim rather than a rival's.
        var claim = Guid.NewGuid();
        var decision = await TransientFailures.RetryAsync(() => grain.Begin(fingerprint, claim), http.RequestAborted);
        switch (decision.Outcome)
        {
            case IdempotencyOutcome.Replay:
                return new AnswerResult(decision.Answer!, replayed: true);
            case IdempotencyOutcome.Mismatch:
                return ErrorShapes.For(http).Failure(RequestFailure.IdempotencyKeyReused);
            case IdempotencyOutcome.InProgress:
                return ErrorShapes.For(http).Failure(RequestFailure.IdempotencyKeyInUse);
        }

        IdempotentAnswer answer;
        try
        {
            var result = await next(context);
            if (result is not IResult executable)
            {
                // Every route of this API answers an IResult; anything else cannot be captured,
                // so it is not stored.
                await Release(grain, claim, http);
                return result;
            }

            answer = await Capture(http, executable);
        }
        catch
        {
            await Release(grain, claim, http);
            throw;
        }

        if (IsStored(answer.Status))
        {
            await Complete(grain, claim, answer, http);
        }
        else
        {
            await Release(grain, claim, http);
        }

        return new AnswerResult(answer, replayed: false);
    }

    /// <summary>
    /// Stored answers: everything but those that say "not now" (a server failure, a timeout, a
    /// conflict with something running, a rate limit), which a retry with the same key must be
    /// able to get past. No route of this API has an effect when it answers one of those.
    /// </summary>
    public static bool IsStored(int status) => status < 500 && status is not (408 or 409 or 425 or 429);

    private static byte[] Fingerprint(HttpContext http, Merchant caller, Merchant acting, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in (ReadOnlySpan<string>)[
            http.Request.Method,
            http.Request.PathBase.Value + http.Request.Path.Value,
            http.Request.QueryString.Value ?? "",
            caller.Kind.ToString(),
            acting.BusinessId])
        {
            // Length-prefixed, so no two different lists of parts hash the same bytes.
            var bytes = Encoding.UTF8.GetBytes(part);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }

        hash.AppendData(BitConverter.GetBytes(body.Length));
        hash.AppendData(body);
        return hash.GetHashAndReset();
    }

    // The route's answer, written into memory instead of the connection: its status and headers
    // stay on the response, its body is kept to be stored and then sent.
    private static async Task<IdempotentAnswer> Capture(HttpContext http, IResult result)
    {
        var original = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await result.ExecuteAsync(http);
            await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
        }
        finally
        {
            http.Response.Body = original;
        }

        var location = http.Response.Headers.Location;
        return new IdempotentAnswer(
            http.Response.StatusCode,
            http.Response.ContentType,
            location.Count == 1 ? location[0] : null,
            buffer.ToArray());
    }

    private async Task Complete(IIdempotencyKeyGrain grain, Guid claim, IdempotentAnswer answer, HttpContext http)
    {
        try
        {
            if (!await TransientFailures.RetryAsync(() => grain.Complete(claim, answer), CancellationToken.None))
            {
                LogClaimLost(logger, http.Request.Method, http.Request.Path);
            }
        }
        catch (Exception e) when (TransientFailures.IsTransient(e))
        {
            // The request has had its effect: it is answered all the same. Its key stays claimed
            // until the lock runs out (409 meanwhile), after which a retry would run again.
            LogNotStored(logger, e, http.Request.Method, http.Request.Path);
        }
    }

    private async Task Release(IIdempotencyKeyGrain grain, Guid claim, HttpContext http)
    {
        try
        {
            await TransientFailures.RetryAsync(async () =>
            {
                await grain.Release(claim);
                return true;
            }, CancellationToken.None);
        }
        catch (Exception e) when (TransientFailures.IsTransient(e))
        {
            // The key stays claimed until its lock runs out; then the same request may run again.
            LogNotReleased(logger, e, http.Request.Method, http.Request.Path);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path}: the idempotency key's claim ran out before the answer was stored")]
    private static partial void LogClaimLost(ILogger logger, string method, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path}: the answer could not be stored under its idempotency key")]
    private static partial void LogNotStored(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path}: the idempotency key could not be released")]
    private static partial void LogNotReleased(ILogger logger, Exception exception, string method, string path);

    /// <summary>A stored answer, sent byte for byte; a replay says so in <see cref="ReplayedHeader"/>.</summary>
    private sealed class AnswerResult(IdempotentAnswer answer, bool replayed) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = answer.Status;
            response.ContentType = answer.ContentType;
            if (answer.Location is { } location)
            {
                response.Headers.Location = location;
            }

            if (replayed)
            {
                response.Headers[ReplayedHeader] = "true";
            }

            response.ContentLength = answer.Body.Length;
            await response.Body.WriteAsync(answer.Body, httpContext.RequestAborted);
        }
    }
}

/// <summary>Marks an endpoint that honours <c>Idempotency-Key</c> (see <see cref="IdempotencyKeyFilter"/>).</summary>
public sealed class AcceptsIdempotencyKey
{
    public static AcceptsIdempotencyKey Instance { get; } = new();
}

public static class IdempotencyKeyConventions
{
    /// <summary>
    /// Every endpoint of <paramref name="builder"/> (a route group, or one route) that takes an
    /// unsafe method (POST and the like) honours <c>Idempotency-Key</c>; GETs are left alone.
    /// Call it after <c>WithErrorShape</c> and after the group's own filters (<c>for-user-id</c>),
    /// so the key is looked at once the acting business is known.
    /// </summary>
    public static TBuilder WithIdempotencyKeys<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            var methods = endpoint.Metadata.OfType<IHttpMethodMetadata>().LastOrDefault()?.HttpMethods;
            if (methods is null || !methods.Any(IsUnsafe) || endpoint.Metadata.Contains(AcceptsIdempotencyKey.Instance))
            {
                return;
            }

            endpoint.Metadata.Add(AcceptsIdempotencyKey.Instance);
            // 409 while the first request runs, 422 for another request under the key; 400 for a malformed key.
            endpoint.Metadata.Add(new OpenApi.ApiResponses.DocumentedErrors([StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity]));

            endpoint.FilterFactories.Add((context, next) =>
            {
                var filter = ActivatorUtilities.CreateInstance<IdempotencyKeyFilter>(context.ApplicationServices);
                return invocation => filter.InvokeAsync(invocation, next);
            });
        });
        return builder;
    }

    private static bool IsUnsafe(string method) =>
        !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method) && !HttpMethods.IsTrace(method);
}
