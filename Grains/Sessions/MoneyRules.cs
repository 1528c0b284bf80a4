namespace PaySessions.Grains.Sessions;

/// <summary>
/// The invariants a session's money must hold whichever front door created it. The front doors
/// report field-level errors in their own shapes first; this is the last line, so a session that
/// breaks these can never be written.
/// </summary>
public static class MoneyRules
{
    /// <summary>The problem with the command, or null when it holds.</summary>
    public static string? Check(CreateSession command, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        if (string.IsNullOrEmpty(command.BusinessId) || string.IsNullOrEmpty(command.OrderId) || string.IsNullOrEmpty(command.Customer))
        {
            return "Business, order id and customer are required.";
        }

        if (command.Currency.Length != 3 || !command.Currency.All(char.IsAsciiLetterUpper))
        {
            return "Currency must be a three-letter upper-case code.";
        }

        if (command.Amount < 0 || (command.SessionType == SessionType.Pay && command.Amount == 0))
        {
            return "Amount must be positive.";
        }

        if (command.Items.Count > 0 && ItemsTotal(command.Items) != command.Amount)
        {
            return "Amount must equal the sum of the items.";
        }

        return expiresAt <= now ? "The session must expire in the future." : null;
    }

    /// <summary>Σ price × quantity, or null when an item is not positive or the sum overflows.</summary>
    public static long? ItemsTotal(IEnumerable<LineItem> items)
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
