namespace PaySessions.Grains.Payments;

/// <summary>Where a completion finds the fee schedule of the method it was paid with.</summary>
public interface IFeeSchedules
{
    /// <summary>The schedule of <paramref name="paymentMethodId"/> for a company customer or not; null when the catalogue no longer lists the method.</summary>
    FeeSchedule? ScheduleOf(string paymentMethodId, bool isCompany);
}

/// <summary>
/// What a payment costs the business, in minor units: the static fee for its currency plus the
/// percent fee of its amount, that part rounded to a whole minor unit half away from zero (30.5
/// cents is 31, 30.49 is 30). A fee is one figure on one payment, checked by hand against a
/// statement, so it rounds the way people and card processors' statements do; banker's rounding
/// only pays off over sums of many rounded figures, which a fee never is. Exact throughout: the
/// amount and static fee are integers, the fraction a decimal, never a double.
/// </summary>
public static class PaymentFees
{
    public const MidpointRounding Rounding = MidpointRounding.AwayFromZero;

    /// <summary>The fee of a payment of <paramref name="amount"/> minor units of <paramref name="currency"/>.</summary>
    public static long Compute(FeeSchedule schedule, long amount, string currency)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        var percentPart = decimal.Round(amount * schedule.PercentFee, 0, Rounding);
        return checked(schedule.StaticFeeIn(currency) + (long)percentPart);
    }
}
