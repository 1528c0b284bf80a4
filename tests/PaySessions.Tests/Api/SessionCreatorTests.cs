using Microsoft.Extensions.Logging.Abstractions;
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
    private SessionCreator Creator => new(api.Host.Grains, NullLogger<SessionCreator>.Instance);

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

    [Fact]
    public async Task A_preparation_runs_only_for_a_command_the_rules_take_and_its_command_is_the_one_created()
    {
        var calls = 0;
        Task<PreparedSession> Prepare(CreateSession command, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult(PreparedSession.Ready(command with { Description = "prepared" }));
        }

        var refused = Command() with { Currency = "XYZ" };
        var taken = Command();

        var rejected = await Creator.Create(new NewSession(refused) { Prepare = Prepare }, CancellationToken.None);
        Assert.Equal(0, calls);
        var created = await Creator.Create(new NewSession(taken) { Prepare = Prepare }, CancellationToken.None);

        Assert.Equal(SessionRule.UnknownCurrency, Assert.IsType<CreateOutcome.Rejected>(rejected).Violation.Rule);
        Assert.Equal(1, calls);
        Assert.Equal("prepared", Assert.IsType<CreateOutcome.Created>(created).Session.Description);
        Assert.Equal(0, await api.CreatedEvents(ApiFixture.DevBusiness, refused.OrderId));
    }

    [Fact]
    public async Task A_preparations_refusal_is_the_outcome_and_nothing_is_created()
    {
        var command = Command();

        var outcome = await Creator.Create(
            new NewSession(command) { Prepare = (_, _) => Task.FromResult(PreparedSession.Refused(new CreateOutcome.CustomerConflict("cust_1"))) },
            CancellationToken.None);

        Assert.Equal("cust_1", Assert.IsType<CreateOutcome.CustomerConflict>(outcome).CustomerReference);
        Assert.Equal(0, await api.CreatedEvents(ApiFixture.DevBusiness, command.OrderId));
    }

    [Fact]
    public async Task Session_ids_take_the_shape_of_the_commands_dialect()
    {
        var payviox = Assert.IsType<CreateOutcome.Created>(await Creator.Create(new NewSession(Command()), CancellationToken.None));
        var xendit = Assert.IsType<CreateOutcome.Created>(await Creator.Create(
            new NewSession(Command() with { Items = [], Amount = 1000000, Currency = "PHP", Dialect = SessionDialect.Xendit, Xendit = Sessions.XenditSessionFactsTests.PayDetails() }),
            CancellationToken.None));

        Assert.True(SessionIds.IsPayviox(payviox.Session.SessionId), payviox.Session.SessionId);
        Assert.True(SessionIds.IsXendit(xendit.Session.SessionId), xendit.Session.SessionId);
    }

    private static CreateSession Command() => TestSessions.Command(ApiFixture.DevBusiness) with { ClientIp = null };
}
