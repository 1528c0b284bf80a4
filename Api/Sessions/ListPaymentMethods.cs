using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;
using ListPaymentMethodsAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<System.Collections.Generic.Dictionary<string, PaySessions.Api.Sessions.PaymentMethodCatalogView>>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.BadRequest, PaySessions.Api.OpenApi.AnyOf<PaySessions.Api.Http.ApiErrors.ErrorBody, PaySessions.Api.Http.ApiErrors.FieldErrors>>>;

namespace PaySessions.Api.Sessions;

/// <summary>
/// <c>GET /payments/methods</c> (either key): the business's enabled methods for its key's mode,
/// filtered by <c>countries</c>, <c>currencies</c> and <c>is_company</c> (see
/// <see cref="PaymentMethodQuery"/>), as an object keyed by method id.
/// </summary>
public static class ListPaymentMethodsEndpoint
{
    public static async Task<ListPaymentMethodsAnswer> Handle(HttpContext http, IMediator mediator)
    {
        var query = http.Request.Query;
        var parsed = PaymentMethodQuery.Parse(Joined(query["countries"]), Joined(query["currencies"]), Joined(query["is_company"]));
        if (!parsed.IsValid)
        {
            return ApiErrors.Validation(parsed.Errors);
        }

        var merchant = Merchant.From(http.User);
        return await mediator.Send(
            new ListPaymentMethods(merchant, new PaymentMethodFilter(parsed.Countries, parsed.Currencies, parsed.IsCompany, merchant.Livemode)),
            http.RequestAborted);
    }

    // countries=US&countries=GB reads as countries=US,GB.
    private static string? Joined(Microsoft.Extensions.Primitives.StringValues values) =>
        values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => string.Join(',', values.ToArray()),
        };
}

public sealed record ListPaymentMethods(Merchant Merchant, PaymentMethodFilter Filter) : IRequest<ListPaymentMethodsAnswer>, IRetrySafeRequest;

public sealed class ListPaymentMethodsHandler(IGrainFactory grains) : IRequestHandler<ListPaymentMethods, ListPaymentMethodsAnswer>
{
    public async Task<ListPaymentMethodsAnswer> Handle(ListPaymentMethods request, CancellationToken cancellationToken)
    {
        var methods = await grains.Get<IBusinessGrain>(request.Merchant.BusinessId).ListPaymentMethods(request.Filter);
        var view = new Dictionary<string, PaymentMethodCatalogView>(StringComparer.Ordinal);
        foreach (var method in methods)
        {
            view[method.Id] = PaymentMethodCatalogView.From(method, request.Filter.Currencies);
        }

        return TypedResults.Ok(view);
    }
}

/// <summary>One method as Payviox lists it; <c>null</c> lists mean everywhere / every currency.</summary>
public sealed record PaymentMethodCatalogView(
    string Name,
    string? Image,
    IReadOnlyList<string>? Countries,
    IReadOnlyList<string>? Currencies,
    PaymentMethodCatalogView.FeesView Fees)
{
    // Payviox quotes a static fee in dollars; a method that takes every currency is quoted so too.
    private const string DefaultFeeCurrency = "USD";

    public static PaymentMethodCatalogView From(PaymentMethodListing method, IReadOnlyList<string> askedCurrencies)
    {
        // static_fees is one number, so it is given in one currency, named beside it: the first
        // currency asked for that the method takes, else the method's first, else USD.
        var currency = askedCurrencies.FirstOrDefault(c => method.Currencies.Count == 0 || method.Currencies.Contains(c))
            ?? (method.Currencies.Count > 0 ? method.Currencies[0] : DefaultFeeCurrency);
        return new PaymentMethodCatalogView(
            method.Name,
            method.Image,
            method.Countries.Count == 0 ? null : method.Countries,
            method.Currencies.Count == 0 ? null : method.Currencies,
            new FeesView(MajorUnits(method.Fees.StaticFeeIn(currency), currency), method.Fees.PercentFee, currency));
    }

    /// <summary>Minor units as an exact decimal of major units, with the currency's decimals (30 USD cents: 0.30).</summary>
    public static decimal MajorUnits(long minor, string currency)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minor);
        var exponent = (byte)(Grains.Money.Currencies.Exponent(currency) ?? 2);
        return new decimal(unchecked((int)minor), unchecked((int)(minor >> 32)), 0, false, exponent);
    }

    /// <summary><c>static_fees</c> in major units of <c>currency</c>; <c>percent_fees</c> a fraction (0.029 is 2.9 %).</summary>
    public sealed record FeesView(decimal StaticFees, decimal PercentFees, string Currency);
}
