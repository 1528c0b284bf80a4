namespace PaySessions.Silo.Operators;

/// <summary>
/// <c>dotnet run --project Silo -- operators hash-password</c>: reads a password from standard
/// input (one line) and prints the hash to put under <c>PaySessions:Operators:Users:&lt;name&gt;</c>.
/// Needs no database and no cluster.
/// </summary>
public static class OperatorsCommand
{
    public const int MinPasswordLength = 12;

    public static bool Handles(string[] args) => args.Length > 0 && args[0] == "operators";

    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        if (args is not ["operators", "hash-password"])
        {
            await error.WriteLineAsync("Usage: operators hash-password (the password on standard input).");
            return 1;
        }

        var password = (await input.ReadLineAsync())?.TrimEnd('\r');
        if (password is null || password.Length < MinPasswordLength)
        {
            await error.WriteLineAsync($"The password must be at least {MinPasswordLength} characters, on one line of standard input.");
            return 1;
        }

        await output.WriteLineAsync(OperatorPasswords.Hash(password));
        return 0;
    }
}
