using PaySessions.Grains.Money;

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

        if (!Currencies.IsKnown(command.Currency))
        {
            return "Currency must be a current ISO 4217 code in upper case.";
        }

        if (command.Amount < 0 || (command.SessionType == SessionType.Pay && command.Amount == 0))
        {
            return "Amount must be positive.";
        }

        // A SAVE session only saves the customer's payment details: it never moves money.
        if (command.SessionType == SessionType.Save && command.Amount != 0)
        {
            return "A SAVE session's amount must be zero.";
        }

        // The dialect's own facts come with that dialect and no other, so every reader can trust
        // Dialect to say which shapes the session answers in.
        if ((command.Dialect == SessionDialect.Xendit) != (command.Xendit is not null))
        {
            return "Xendit-style details belong to Xendit-style sessions, and only to them.";
        }

        if (command.Items.Count > 0 && LineItem.Total(command.Items) != command.Amount)
        {
            return "Amount must equal the sum of the items.";
        }

        return expiresAt <= now ? "The session must expire in the future." : null;
    }
}
