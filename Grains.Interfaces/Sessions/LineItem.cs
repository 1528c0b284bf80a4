namespace PaySessions.Grains.Sessions;

/// <summary>One purchased line; <see cref="Price"/> is per unit, in minor units.</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.LineItem")]
public sealed record LineItem(
    [property: Id(0)] string Name,
    [property: Id(1)] long Quantity,
    [property: Id(2)] long Price)
{
    /// <summary>Σ price × quantity, or null when an item is not positive or the sum overflows a long.</summary>
    public static long? Total(IEnumerable<LineItem> items)
    {
        long total = 0;
        foreach (var item in items)
        {
            if (item.Quantity < 1 || item.Price < 1)
            {
                return null;
            }

            try
            {
                total = checked(total + checked(item.Price * item.Quantity));
            }
            catch (OverflowException)
            {
                return null;
            }
        }

        return total;
    }
}
