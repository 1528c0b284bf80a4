using System.Text.Json;
using MediatR;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using PaySessions.Api.Core;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Customers;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Xendit;
using CreateXenditSessionAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Created<PaySessions.Grains.Sessions.Xendit.XenditSessionObject>, Microsoft.AspNetCore.Http.HttpResults.BadRequest<PaySessions.Api.Xendit.XenditErrors.ErrorBody>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Xendit.XenditErrors.ErrorBody>, Microsoft.AspNetCore.Http.HttpResults.Conflict<PaySessions.Api.Xendit.XenditErrors.ErrorBody>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.TooManyRequests, PaySessions.Api.Xendit.XenditErrors.ErrorBody>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.InternalServerError, PaySessions.Api.Xendit.XenditErrors.ErrorBody>>;

namespace PaySessions.Api.Xendit;

/// <summary><c>POST /sessions</c>: the Xendit-style create, for the acting business (the key's, or its sub-account by <c>for-user-id</c>).</summary>
public static class CreateXenditSessionEndpoint
{
    public static Task<CreateXenditSessionAnswer> Handle(HttpContext http, IMediator mediator) =>
        mediator.Send(new CreateXenditSession(XenditCaller.Of(http), JsonRequestBody.Get(http)), http.RequestAborted);
}

/// <summary>The parsed body and the business the request acts as.</summary>
public sealed record CreateXenditSession(Merchant Merchant, JsonElement Body) : IRequest<CreateXenditSessionAnswer>;

/// <summary>
/// The Xendit dialect of the one create path. A body with several problems answers the first, in
/// this order, and a refusal at any step writes nothing:
/// <list type="number">
/// <item>the body's own rules (<see cref="XenditSessionRules"/>: form, then the catalogue's codes);</item>
/// <item><c>customer_id</c>: unknown, another business's or the other mode's → 404 DATA_NOT_FOUND;</item>
/// <item><c>allowed_payment_channels</c> the business has not enabled, or that do not fit the
/// session → 400 INVALID_PAYMENT_CHANNEL naming them;</item>
/// <item>then <see cref="SessionCreator"/>: the per-customer rate limit (429), the rules of money
/// and time asked ahead (e.g. INVALID_AMOUNT), the customer object found or recorded by its
/// reference (409 DUPLICATE_ERROR when that reference is recorded with other details), the
/// session grain's Create.</item>
/// </list>
/// A reference_id may be reused: the seed's own examples send one twice, and its only 409 is
/// about customers. So once the customer is recorded nothing is left to refuse the session.
/// There is no per-IP limit here: this create is called from the merchant's server, whose
/// address speaks for all its customers (as a Payviox secret-key create without <c>ip</c>).
/// </summary>
public sealed class CreateXenditSessionHandler(
    SessionCreator creator,
    IGrainFactory grains,
    IOptions<XenditOptions> options,
    TimeProvider clock,
    PaymentLinks links) : IRequestHandler<CreateXenditSession, CreateXenditSessionAnswer>
{
    public const string TooManyRequests = "Too many session requests";
    public const string CustomerNotFound = "The customer ID provided in the request does not exist";
    public const string InvalidPaymentChannel = "INVALID_PAYMENT_CHANNEL";
    public const string ReferenceTaken = "reference_id: The reference_id entered has been used before. Please enter a unique reference_id";
    public const string CustomerReferenceTaken = "customer: The reference_id entered has been used before. Please enter a unique reference_id";

    public async Task<CreateXenditSessionAnswer> Handle(CreateXenditSession request, CancellationToken cancellationToken)
    {
        var check = XenditSessionRules.Check(request.Body, clock.GetUtcNow(), options.Value.Limits);
        if (check.Create is not { } facts)
        {
            return check.Error!.ToResult();
        }

        var merchant = request.Merchant;
        var businessId = merchant.BusinessId;

        // The per-customer rate limit counts one key per customer of the business: the merchant's
        // reference for it, whichever way the session names it; a session without a customer has
        // its own reference (so no customer limit applies to it).
        string customerKey;
        string? customerId = null;
        if (facts.CustomerId is { } id)
        {
            var found = await TransientFailures.RetryAsync(() => grains.FindCustomer(businessId, merchant.Livemode, id), cancellationToken);
            if (found is null)
            {
                return XenditErrors.NotFound(XenditErrors.DataNotFound, CustomerNotFound);
            }

            customerKey = found.Details.ReferenceId;
            customerId = found.CustomerId;
        }
        else
        {
            customerKey = facts.Customer?.ReferenceId ?? facts.ReferenceId;
        }

        if (facts.Details.AllowedPaymentChannels is { Count: > 0 } requested)
        {
            var channels = await TransientFailures.RetryAsync(
                () => grains.Get<IBusinessGrain>(businessId).CheckPaymentChannels(
                    new PaymentChannelQuery(facts.Currency, facts.Amount, merchant.Livemode, facts.SessionType, requested)),
                cancellationToken);
            if (channels.Unavailable.Count > 0)
            {
                return XenditErrors.BadRequest(
                    InvalidPaymentChannel,
                    $"Channel(s) {string.Join(", ", channels.Unavailable)} are not available. Please ensure that you have activated the necessary channels");
            }
        }

        var command = facts.ToCommand(businessId, merchant.Livemode, customerKey, customerId);
        var session = new NewSession(command)
        {
            Prepare = facts.Customer is { } customer ? (c, token) => RecordCustomer(c, customer, token) : null,
        };

        var outcome = await creator.Create(session, cancellationToken);
        return outcome switch
        {
            CreateOutcome.Created created => TypedResults.Created($"{XenditSessionRoutes.Prefix}/{created.Session.SessionId}", XenditSessionObject.From(created.Session, links)),
            CreateOutcome.Rejected rejected => XenditSessionRules.Render(rejected.Violation).ToResult(),
            CreateOutcome.RateLimited limited => XenditErrors.RateLimit(TooManyRequests, limited.RetryAfterSeconds),
            // Not reached while reference_id is not unique for this dialect; worded in case it becomes so.
            CreateOutcome.DuplicateReference => XenditErrors.Conflict(XenditErrors.DuplicateError, ReferenceTaken),
            CreateOutcome.CustomerConflict => XenditErrors.Conflict(XenditErrors.DuplicateError, CustomerReferenceTaken),
            CreateOutcome.SessionIdTaken => XenditErrors.ServerFault(),
            _ => throw new InvalidOperationException($"No answer for {outcome.GetType().Name}."),
        };
    }

    // Runs after every refusal that needs no write (see SessionCreator): the customer object is
    // found by its reference, or recorded. Finding or recording by reference is idempotent, so a
    // transient failure may be retried.
    private async Task<PreparedSession> RecordCustomer(CreateSession command, CustomerDetails customer, CancellationToken cancellationToken)
    {
        var resolution = await TransientFailures.RetryAsync(
            () => grains.FindOrCreateCustomer(command.BusinessId, command.Livemode, customer), cancellationToken);
        return resolution.SameDetails
            ? PreparedSession.Ready(command with { Xendit = command.Xendit! with { CustomerId = resolution.Customer.CustomerId } })
            : PreparedSession.Refused(new CreateOutcome.CustomerConflict(customer.ReferenceId));
    }
}

/// <summary>
/// <c>PaySessions:Xendit</c>: how far ahead a Xendit-style session may expire
/// (<see cref="XenditSessionLimits"/>); checked at start-up.
/// </summary>
public sealed class XenditOptions
{
    public const string Section = "PaySessions:Xendit";

    /// <summary>The latest an <c>expires_at</c> may be after now.</summary>
    public TimeSpan MaxExpiry { get; set; } = XenditSessionLimits.Default.MaxExpiry;

    /// <summary>The expiry of a session that names none, after its creation.</summary>
    public TimeSpan DefaultExpiry { get; set; } = XenditSessionLimits.Default.DefaultExpiry;

    public XenditSessionLimits Limits => new() { MaxExpiry = MaxExpiry, DefaultExpiry = DefaultExpiry };
}

/// <summary>Refuses to start with a ceiling below the seed's 10-minute floor, or a default outside the two.</summary>
public sealed class XenditOptionsValidator : IValidateOptions<XenditOptions>
{
    public ValidateOptionsResult Validate(string? name, XenditOptions options)
    {
        var floor = XenditSessionLimits.MinExpiry;
        if (options.MaxExpiry < floor)
        {
            return ValidateOptionsResult.Fail(
                $"{XenditOptions.Section}:MaxExpiry is {options.MaxExpiry}; it must be at least {floor} (expires_at must be at least that far ahead, so a lower ceiling would refuse every expires_at).");
        }

        if (options.DefaultExpiry < floor || options.DefaultExpiry > options.MaxExpiry)
        {
            return ValidateOptionsResult.Fail(
                $"{XenditOptions.Section}:DefaultExpiry is {options.DefaultExpiry}; it must lie between {floor} and {XenditOptions.Section}:MaxExpiry ({options.MaxExpiry}).");
        }

        return options.Limits.IsValid ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail($"{XenditOptions.Section} is not a valid combination.");
    }
}
