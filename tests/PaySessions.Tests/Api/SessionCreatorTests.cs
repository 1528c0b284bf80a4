using PaySessions.Api.Core;
using PaySessions.Api.Http;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// The dialect-neutral create under every dialect, driven directly on a whole host: each way a
/// create can end is a typed outcome a dialect renders, and no refusal writes anything.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SessionCreatorTests(ApiFixture api)
{
    private SessionCreator Creator => new(api.Host.Grains);

    [Fact]
    public async Task A_valid_command_is_Created_with_the_session_and_no_payment()
    {
        var command = Command();

        var outcome = await Creator.Create(new NewSession(command), CancellationToken.None);

        var created = Assert.IsType<CreateOutcome.Created>(outcome);
        Assert.Null(created.Payment);
        Assert.Equal(command.OrderId, created.Session.OrderId);
        Assert.Equal(SessionDialect.Payviox, created.Session.Dialect);
        Assert.Equal(1, await api.CreatedEvents(ApiFixture.DevBusiness, command.OrderId));
    }

    [Fact]
    public async Task A_rule_of_money_is_Rejected_with_its_field_and_rule_and_writes_nothing()
    {
        var unknownCurrency = Command() with { Currency = "XYZ" };
        var notAddingUp = Command() with { Amount = 9999 };

        var currency = Assert.IsType<CreateOutcome.Rejected>(await Creator.Create(new NewSession(unknownCurrency), CancellationToken.None));
        var total = Assert.IsType<CreateOutcome.Rejected>(await Creator.Create(new NewSession(notAddingUp), CancellationToken.None));

        Assert.Equal((SessionField.Currency, SessionRule.UnknownCurrency), (currency.Violation.Field, currency.Violation.Rule));
        Assert.Equal((SessionField.Amount, SessionRule.ItemsTotalMismatch), (total.Violation.Field, total.Violation.Rule));
        Assert.Equal(0, await api.CreatedEvents(ApiFixture.DevBusiness, unknownCurrency.OrderId));
        Assert.Equal(0, await api.CreatedEvents(ApiFixture.DevBusiness, notAddingUp.OrderId));
    }

    [Fact]
    public async Task A_reference_the_business_already_used_is_DuplicateReference()
    {
        var command = Command();
        Assert.IsType<CreateOutcome.Created>(await Creator.Create(new NewSession(command), CancellationToken.None));

        var again = await Creator.Create(new NewSession(command with { Customer = "someone_else" }), CancellationToken.None);

        Assert.IsType<CreateOutcome.DuplicateReference>(again);
        Assert.Equal(1, await api.CreatedEvents(ApiFixture.DevBusiness, command.OrderId));
    }

    [Fact]
    public async Task A_method_the_business_does_not_offer_is_MethodNotFound_and_writes_nothing()
    {
        var command = Command();

        var outcome = await Creator.Create(new NewSession(command, "no_such_method"), CancellationToken.None);

        Assert.Equal("no_such_method", Assert.IsType<CreateOutcome.MethodNotFound>(outcome).PaymentMethodId);
        Assert.Equal(0, await api.CreatedEvents(ApiFixture.DevBusiness, command.OrderId));
    }

    [Fact]
    public async Task A_redirect_method_is_started_at_once_and_its_answer_rides_on_Created()
    {
        var outcome = await Creator.Create(new NewSession(Command(), "sandbox_wallet"), CancellationToken.None);

        var created = Assert.IsType<CreateOutcome.Created>(outcome);
        Assert.Equal(InitiatePaymentOutcome.Initiated, created.Payment!.Outcome);
        Assert.NotNull(created.Payment.RedirectUrl);
    }

    [Fact]
    public async Task A_customer_over_its_limit_is_RateLimited_on_customer_and_writes_nothing()
    {
        var customer = "cust_" + Guid.NewGuid().ToString("N");
        CreateOutcome outcome;
        var last = Command();
        var attempts = 0;
        do
        {
            last = Command() with { Customer = customer };
            outcome = await Creator.Create(new NewSession(last), CancellationToken.None);
            attempts++;
        }
        while (outcome is CreateOutcome.Created && attempts < 1000);

        var limited = Assert.IsType<CreateOutcome.RateLimited>(outcome);
        Assert.Equal(RateLimitScope.Customer, limited.Scope);
        Assert.InRange(limited.RetryAfterSeconds, 1, 3600);
        Assert.Equal(0, await api.CreatedEvents(ApiFixture.DevBusiness, last.OrderId));
    }

    private static CreateSession Command() => TestSessions.Command(ApiFixture.DevBusiness) with { ClientIp = null };
}
