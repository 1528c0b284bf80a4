namespace PaySessions.Grains.Sessions;

/// <summary>One purchased line; <see cref="Price"/> is per unit, in minor units.</summary>
[GenerateSerializer]
[Alias("PaySessions.LineItem")]
public sealed record LineItem(
    [property: Id(0)] string Name,
    [property: Id(1)] long Quantity,
    [property: Id(2)] long Price);
