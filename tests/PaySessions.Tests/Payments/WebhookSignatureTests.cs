using System.Text;
using FsCheck;
using FsCheck.Fluent;
using PaySessions.Grains.Payments;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Payments;

/// <summary>
/// How old or how far ahead a provider's signature may be: at most 5 minutes old, and at most a
/// minute of clock skew ahead. A timestamp from further ahead is refused like a stale one.
/// </summary>
public sealed class WebhookSignatureTests
{
    private const string Secret = "whsec_signature_tests_0000";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"type":"payment.succeeded","reference":"sbx_1"}""");
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, true)]
    [InlineData(-300, true)]
    [InlineData(-301, false)]
    [InlineData(60, true)]
    [InlineData(61, false)]
    [InlineData(299, false)]
    [InlineData(360, false)]
    [InlineData(86_400, false)]
    public void A_signature_is_accepted_from_five_minutes_ago_to_one_minute_ahead(int secondsFromNow, bool accepted)
    {
        var header = WebhookSignature.Sign(Secret, Now.AddSeconds(secondsFromNow), Body);

        Assert.Equal(accepted, WebhookSignature.Verify(header, Secret, Body, Now));
    }

    [Fact]
    public void Any_timestamp_is_accepted_exactly_when_it_is_within_the_window()
    {
        var property = Prop.ForAll(
            Arb.From(Gen.Choose(-100_000, 100_000)),
            seconds =>
            {
                var header = WebhookSignature.Sign(Secret, Now.AddSeconds(seconds), Body);
                return WebhookSignature.Verify(header, Secret, Body, Now) == (seconds is >= -300 and <= 60);
            });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Fact]
    public void What_is_signed_is_the_readme_scheme()
    {
        var header = WebhookSignature.Sign(Secret, Now, Body);

        Assert.True(ReadmeWebhookScheme.Verify(Secret, header, Body, Now));
        Assert.Equal($"t={Now.ToUnixTimeSeconds()},v1={ReadmeWebhookScheme.Hex(Secret, Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), Body)}", header);
    }
}
