using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Core;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Api.OpenApi;
using PaySessions.Grains.Sessions;
using ListSessionsAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Api.Core.SessionList<PaySessions.Api.Sessions.SessionView>>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.BadRequest, PaySessions.Api.OpenApi.AnyOf<PaySessions.Api.Http.ApiErrors.ErrorBody, PaySessions.Api.Http.ApiErrors.FieldErrors>>>;

namespace PaySessions.Api.Sessions;

/// <summary>
/// <c>GET /session</c>: the Payviox-style sessions of the key's business and mode, newest first,
/// for the secret key (a public key is 401, as on <c>/payment</c>). Filters <c>status</c> (the
/// session's status words, comma-separated for several), <c>customer</c>, <c>order_id</c>,
/// <c>created_from</c> (inclusive) and <c>created_to</c> (exclusive); <c>limit</c> 1–100 (10);
/// <c>starting_after</c> / <c>ending_before</c> a session id of the caller's. Problems are
/// Laravel-style field errors, every one at once, status 400 like every field error of this API.
/// </summary>
public static class ListSessionsEndpoint
{
    public static readonly ListDialect Dialect = new(
        SessionDialect.Payviox,
        Enum.GetValues<SessionStatus>().ToDictionary(s => s.ToName(), s => new[] { s }, StringComparer.Ordinal),
        CustomerParameter: "customer",
        CustomerIsId: false,
        OrderParameter: "order_id",
        MaxOrderLength: PayvioxSessionRules.MaxTextLength,
        MaxCustomerLength: PayvioxSessionRules.MaxTextLength);

    public static async Task<ListSessionsAnswer> Handle(HttpContext http, IMediator mediator)
    {
        var merchant = Merchant.From(http.User);
        var (query, errors) = SessionListRequest.Read(http.Request.Query, new SessionListScope(merchant.BusinessId, merchant.Livemode, SessionDialect.Payviox), Dialect);
        return query is null
            ? Invalid(errors)
            : await mediator.Send(new ListSessions(query), http.RequestAborted);
    }

    /// <summary>Laravel's words: the attribute is the parameter with spaces for underscores.</summary>
    public static Answer<Status.BadRequest, AnyOf<ApiErrors.ErrorBody, ApiErrors.FieldErrors>> Invalid(IEnumerable<ListError> errors)
    {
        var body = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var error in errors)
        {
            var attribute = error.Parameter.Replace('_', ' ');
            var message = error.Problem switch
            {
                ListProblem.Repeated => $"The {attribute} field must be sent once.",
                ListProblem.NotAnInteger => $"The {attribute} field must be an integer.",
                ListProblem.OutOfRange => $"The {attribute} field must be between 1 and {SessionListing.MaxLimit}.",
                ListProblem.TooLong => $"The {attribute} field must not be greater than {PayvioxSessionRules.MaxTextLength} characters.",
                ListProblem.NotADateTime => $"The {attribute} field must be a valid ISO 8601 date with a time zone offset.",
                ListProblem.NotAfterFrom => $"The {attribute} field must be a date after created from.",
                ListProblem.BothCursors => $"The {attribute} field prohibits ending before from being present.",
                _ => $"The selected {attribute} is invalid.",
            };
            (body.TryGetValue(error.Parameter, out var list) ? list : body[error.Parameter] = []).Add(message);
        }

        return ApiErrors.Validation(body);
    }
}

public sealed record ListSessions(SessionListQuery Query) : IRequest<ListSessionsAnswer>, IRetrySafeRequest;

/// <summary>Renders each session of the page with the single GET's <see cref="SessionView.From"/>.</summary>
public sealed class ListSessionsHandler(IGrainFactory grains)
    : IRequestHandler<ListSessions, ListSessionsAnswer>
{
    public async Task<ListSessionsAnswer> Handle(ListSessions request, CancellationToken cancellationToken)
    {
        var page = await grains.ListSessions(request.Query);
        if (!page.CursorFound)
        {
            return ListSessionsEndpoint.Invalid([new ListError(SessionListRequest.CursorParameter(request.Query), ListProblem.UnknownCursor)]);
        }

        return TypedResults.Ok(new SessionList<SessionView>([.. page.Sessions.Select(SessionView.From)], page.HasMore));
    }
}
