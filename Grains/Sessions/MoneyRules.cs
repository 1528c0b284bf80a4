using PaySessions.Grains.Money;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// The rules of money and time every new session must hold, whichever front door created it,
/// written here only: the front doors parse their bodies and report malformed fields in their own
/// shapes, then render the typed <see cref="SessionRuleViolation"/> this returns, so no dialect
/// repeats a rule. A session that breaks one can never be written.
/// </summary>
public static class MoneyRules
{
    /// <summary>The first rule the command breaks, or null when it holds them all.</summary>
    public static SessionRuleViolation? Check(CreateSession command, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        if (string.IsNullOrEmpty(command.BusinessId) || string.IsNullOrEmpty(command.OrderId) || string.IsNullOrEmpty(command.Customer))
        {
            var field = string.IsNullOrEmpty(command.BusinessId) ? SessionField.Business
                : string.IsNullOrEmpty(command.OrderId) ? SessionField.OrderId
                : SessionField.Customer;
            return new(field, SessionRule.Required, "Business, order id and customer are required.");
        }

        if (!Currencies.IsKnown(command.Currency))
        {
            return new(SessionField.Currency, SessionRule.UnknownCurrency, "Currency must be a current ISO 4217 code in upper case.");
        }

        if (command.Amount < 0 || (command.SessionType == SessionType.Pay && command.Amount == 0))
        {
            return new(SessionField.Amount, SessionRule.AmountNotPositive, "Amount must be positive.");
        }

        // A SAVE session only saves the customer's payment details: it never moves money.
        if (command.SessionType == SessionType.Save && command.Amount != 0)
        {
            return new(SessionField.Amount, SessionRule.AmountNotZero, "A SAVE session's amount must be zero.");
        }

        // The dialect's own facts come with that dialect and no other, so every reader can trust
        // Dialect to say which shapes the session answers in.
        if ((command.Dialect == SessionDialect.Xendit) != (command.Xendit is not null))
        {
            return new(SessionField.Dialect, SessionRule.DialectDetailsMismatch, "Xendit-style details belong to Xendit-style sessions, and only to them.");
        }

        // LineItem.Total is null for an item that is not positive or a sum that overflows: never equal.
        if (command.Items.Count > 0 && LineItem.Total(command.Items) != command.Amount)
        {
            return new(SessionField.Amount, SessionRule.ItemsTotalMismatch, "Amount must equal the sum of the items.");
        }

        return expiresAt <= now
            ? new(SessionField.ExpiresAt, SessionRule.ExpiryNotInFuture, "The session must expire in the future.")
            : null;
    }
}
