using System.CommandLine;
using Outcomes.Contracts;

namespace Outcomes.Cli.Tokens;

/// <summary><c>outcomes token</c>: prints a signed access token for the HTTP API, for development and operators.</summary>
public static class TokenCommand
{
    public const string SigningKeyVariable = "Auth__SigningKey";

    /// <param name="environment">Reads an environment variable; tests pass their own.</param>
    public static Command Create(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var subject = new Option<string>("--sub") { Description = "Who the token names: a person or an integration engine", Required = true };
        var roles = new Option<string[]>("--role")
        {
            Description = "Role: integration, quality, researcher or admin; repeat the option (or separate with commas) for several",
            Required = true,
        };
        var clinics = new Option<string>("--clinics")
        {
            Description = $"Clinic ids the token may see, separated by commas; '{AccessToken.AllClinics}' for every clinic (admin only)",
            Required = true,
        };
        var minutes = new Option<int>("--minutes") { Description = "Lifetime in minutes", DefaultValueFactory = _ => 60 };
        var key = new Option<string?>("--key")
        {
            Description = $"HS256 signing key, the service's Auth:SigningKey (default: the {SigningKeyVariable} environment variable, " +
                "which keeps the key out of the process list)",
        };
        var issuer = new Option<string>("--issuer") { Description = "Issuer, the service's Auth:Issuer", DefaultValueFactory = _ => AccessToken.DefaultIssuer };
        var audience = new Option<string>("--audience") { Description = "Audience, the service's Auth:Audience", DefaultValueFactory = _ => AccessToken.DefaultAudience };

        var command = new Command("token", "Print a signed access token (JWT) for the Outcomes HTTP API")
        {
            subject, roles, clinics, minutes, key, issuer, audience,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var request = new TokenRequest
            {
                Subject = parse.GetValue(subject) ?? "",
                Roles = SplitList(parse.GetValue(roles) ?? []),
                Clinics = SplitList([parse.GetValue(clinics) ?? ""]),
                Lifetime = TimeSpan.FromMinutes(parse.GetValue(minutes)),
                Issuer = parse.GetValue(issuer) ?? "",
                Audience = parse.GetValue(audience) ?? "",
            };
            var signingKey = parse.GetValue(key) ?? environment(SigningKeyVariable);
            var problems = request.Violations().ToList();
            if (string.IsNullOrEmpty(signingKey))
                problems.Add($"No signing key: pass --key KEY or set {SigningKeyVariable} (the service's Auth:SigningKey).");
            else if (TokenRequest.KeyViolation(signingKey) is { } keyProblem)
                problems.Add(keyProblem);
            if (problems.Count > 0)
            {
                foreach (var problem in problems) error.WriteLine(problem);
                return 1;
            }
            // The token alone on standard output, so that TOKEN=$(outcomes token ...) works.
            output.WriteLine(request.Issue(signingKey!, DateTimeOffset.UtcNow));
            return 0;
        });
        return command;
    }

    private static string[] SplitList(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToArray();
}
