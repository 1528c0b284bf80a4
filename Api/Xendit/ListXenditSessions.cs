using MediatR;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using PaySessions.Api.Core;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Xendit;
using ListXenditSessionsAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Api.Core.SessionList<PaySessions.Grains.Sessions.Xendit.XenditSessionObject>>, Microsoft.AspNetCore.Http.HttpResults.BadRequest<PaySessions.Api.Xendit.XenditErrors.ErrorBody>>;

namespace PaySessions.Api.Xendit;

/// <summary>
/// <c>GET /sessions</c>: the Xendit-style sessions of the acting business (the key's, or the
/// sub-account <c>for-user-id</c> names) in the key's mode, newest first, as
/// <c>{"data":[…],"has_more":bool}</c> like that provider's lists. Filters <c>status</c>
/// (ACTIVE, COMPLETED, EXPIRED, CANCELED; comma-separated for several), <c>customer_id</c>,
/// <c>reference_id</c>, <c>created_from</c> (inclusive) and <c>created_to</c> (exclusive);
/// <c>limit</c> 1–100 (10); <c>starting_after</c> / <c>ending_before</c> a session id of the
/// acting business. Problems: 400 API_VALIDATION_ERROR, every one in <c>errors</c> with paths
/// like <c>/query/limit</c>.
/// </summary>
public static class ListXenditSessionsEndpoint
{
    public static readonly ListDialect Dialect = new(
        SessionDialect.Xendit,
        new Dictionary<string, SessionStatus[]>(StringComparer.Ordinal)
        {
            ["ACTIVE"] = [SessionStatus.Created, SessionStatus.PaymentInitiated],
            ["COMPLETED"] = [SessionStatus.Completed],
            ["EXPIRED"] = [SessionStatus.Expired],
            ["CANCELED"] = [SessionStatus.Canceled],
        },
        CustomerParameter: "customer_id",
        CustomerIsId: true,
        OrderParameter: "reference_id",
        MaxOrderLength: XenditSessionRules.MaxReferenceIdLength,
        MaxCustomerLength: 64);

    public static async Task<ListXenditSessionsAnswer> Handle(HttpContext http, IMediator mediator)
    {
        var acting = XenditCaller.Of(http);
        var (query, errors) = SessionListRequest.Read(http.Request.Query, new SessionListScope(acting.BusinessId, acting.Livemode, SessionDialect.Xendit), Dialect);
        return query is null
            ? Invalid(errors)
            : await mediator.Send(new ListXenditSessions(query), http.RequestAborted);
    }

    /// <summary>API_VALIDATION_ERROR with every problem; <c>message</c> words the first, as the seed's example does.</summary>
    public static BadRequest<XenditErrors.ErrorBody> Invalid(IReadOnlyList<ListError> errors)
    {
        var fields = errors.Select(error => new XenditErrors.FieldError(
            error.Problem switch
            {
                ListProblem.Repeated => "must be sent once",
                ListProblem.NotAnInteger => "must be integer",
                ListProblem.OutOfRange => $"must be >= 1 and <= {SessionListing.MaxLimit}",
                ListProblem.UnknownValue when error.Parameter == SessionListRequest.ManualReview => "must be equal to one of the allowed values: true, false",
                ListProblem.UnknownValue => "must be equal to one of the allowed values: ACTIVE, COMPLETED, EXPIRED, CANCELED",
                ListProblem.TooLong => $"must NOT have more than {XenditSessionRules.MaxReferenceIdLength} characters",
                ListProblem.NotADateTime => "must match format \"date-time\" (ISO 8601 with an offset)",
                ListProblem.NotAfterFrom => "must be later than created_from",
                ListProblem.BothCursors => "must not be sent with ending_before",
                ListProblem.NotACustomerId => "must be a customer id (cust- and a UUID)",
                _ => "must be the payment_session_id of a session of this business",
            },
            "/query/" + error.Parameter)).ToList();
        var first = fields[0];
        return TypedResults.BadRequest(new XenditErrors.ErrorBody(XenditErrors.ApiValidationError, $"request{first.Path} {first.Message}", fields));
    }
}

public sealed record ListXenditSessions(SessionListQuery Query)
    : IRequest<ListXenditSessionsAnswer>, IRetrySafeRequest;

/// <summary>Renders each session of the page with the single GET's <see cref="XenditSessionObject.From"/>.</summary>
public sealed class ListXenditSessionsHandler(IGrainFactory grains, PaymentLinks links)
    : IRequestHandler<ListXenditSessions, ListXenditSessionsAnswer>
{
    public async Task<ListXenditSessionsAnswer> Handle(ListXenditSessions request, CancellationToken cancellationToken)
    {
        var page = await grains.ListSessions(request.Query);
        if (!page.CursorFound)
        {
            return ListXenditSessionsEndpoint.Invalid([new ListError(SessionListRequest.CursorParameter(request.Query), ListProblem.UnknownCursor)]);
        }

        return TypedResults.Ok(new SessionList<XenditSessionObject>([.. page.Sessions.Select(s => XenditSessionObject.From(s, links))], page.HasMore));
    }
}
