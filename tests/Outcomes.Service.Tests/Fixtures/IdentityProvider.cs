using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;

using System.Text.Json.Nodes;

namespace Outcomes.Service.Tests.Fixtures;

/// A real OpenID provider (scripts/oidc/provider.mjs: panva's oidc-provider) in its own Node process on a loopback port,
/// with this test's clients and users. Its admin endpoints add and disable users and rotate the signing keys.
public sealed class IdentityProvider : IAsyncDisposable
{
    public const string DashboardClient = "outcomes-dashboard";
    public const string DashboardSecret = "dashboard-secret-for-tests-only-0123456789";
    public const string ClientSecret = "engine-secret-for-tests-only-0123456789";
    public const string Audience = "outcomes-api";
    public const string Resource = "urn:outcomes:api";
    public const string OtherResource = "urn:other:api";

    /// Groups the provider puts in tokens, and the mapping the service is configured with (as a Keycloak or Okta realm would).
    public static readonly Dictionary<string, string> RoleGroups = new()
    {
        ["outcomes-quality"] = "quality",
        ["outcomes-researchers"] = "researcher",
        ["outcomes-admins"] = "admin",
        ["outcomes-integration"] = "integration",
    };
    public const string ClinicGroupPrefix = "outcomes-clinic-";

    private readonly Process _process;
    private readonly string _adminToken;
    private readonly string _configFile;
    private readonly HttpClient _http = new();

    public string Issuer { get; }

    private IdentityProvider(Process process, string issuer, string adminToken, string configFile)
    {
        _process = process;
        Issuer = issuer;
        _adminToken = adminToken;
        _configFile = configFile;
    }

    /// A machine client (client-credentials grant) with the given groups and clinics; `alg` ES256 for EC-signed tokens.
    public sealed record Engine(string Id, string[] Groups, string[] Clinics, string? Alg = null);

    /// Starts a provider with the given machine clients and, when <paramref name="servicePort"/> is given, the dashboard's
    /// client whose redirect addresses are that port's.
    public static async Task<IdentityProvider> StartAsync(IEnumerable<Engine> engines, int? servicePort = null, int accessTokenSeconds = 300)
    {
        var clients = new JsonArray();
        foreach (var engine in engines)
        {
            var client = new JsonObject
            {
                ["client_id"] = engine.Id, ["client_secret"] = ClientSecret, ["grant_types"] = new JsonArray("client_credentials"),
                ["response_types"] = new JsonArray(), ["redirect_uris"] = new JsonArray(),
                ["groups"] = new JsonArray(engine.Groups.Select(g => (JsonNode)g).ToArray()),
                ["clinics"] = new JsonArray(engine.Clinics.Select(c => (JsonNode)c).ToArray()),
            };
            if (engine.Alg is not null) client["access_token_alg"] = engine.Alg;
            clients.Add(client);
        }
        if (servicePort is { } port)
            clients.Add(new JsonObject
            {
                ["client_id"] = DashboardClient, ["client_secret"] = DashboardSecret,
                ["token_endpoint_auth_method"] = "client_secret_post",
                ["grant_types"] = new JsonArray("authorization_code", "refresh_token"), ["response_types"] = new JsonArray("code"),
                ["redirect_uris"] = new JsonArray($"http://127.0.0.1:{port}/dashboard/signin-oidc"),
                ["post_logout_redirect_uris"] = new JsonArray($"http://127.0.0.1:{port}/dashboard/signed-out"),
            });
        var config = new JsonObject { ["clients"] = clients, ["audience"] = Audience, ["resource"] = Resource, ["accessTokenTtl"] = accessTokenSeconds };
        var configFile = Path.Combine(Path.GetTempPath(), $"outcomes-idp-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(configFile, config.ToJsonString());

        var script = ProviderScript();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("OUTCOMES_NODE") is { Length: > 0 } node ? node : "node")
        {
            ArgumentList = { script, "--port", "0", "--config", configFile },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (errors) errors.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        string? line;
        try
        {
            // Node loads the provider in about a second; a machine busy with other builds may take many times that.
            line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            line = null;
        }
        if (line is null)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            lock (errors) throw new InvalidOperationException($"The identity provider did not start within 120 s: {errors}");
        }
        var started = JsonNode.Parse(line)!;
        return new IdentityProvider(process, (string)started["issuer"]!, (string)started["admin"]!, configFile);
    }

    /// scripts/oidc/provider.mjs of this checkout, with its packages installed (`scripts/services.sh install` runs npm ci).
    private static string ProviderScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "scripts", "oidc", "provider.mjs");
            if (!File.Exists(script)) continue;
            if (!Directory.Exists(Path.Combine(dir.FullName, "scripts", "oidc", "node_modules", "oidc-provider")))
                throw new InvalidOperationException("The test identity provider's packages are missing: run `scripts/services.sh install` " +
                    "(or `npm ci --prefix scripts/oidc`).");
            return script;
        }
        throw new InvalidOperationException("scripts/oidc/provider.mjs not found above " + AppContext.BaseDirectory);
    }

    /// A free loopback port for a service whose address the provider must know before it starts.
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// The service's settings for this provider.
    public Dictionary<string, string> ServiceSettings(bool dashboard = false)
    {
        var settings = new Dictionary<string, string>
        {
            ["Auth:Provider:Authority"] = Issuer,
            ["Auth:Provider:RequireHttpsMetadata"] = "false",
            ["Auth:Provider:Audience"] = Audience,
            ["Auth:Provider:ClinicGroupPrefix"] = ClinicGroupPrefix,
            // Tests rotate keys and expect the next token to be checked against the new ones without minutes of waiting.
            ["Auth:Provider:MetadataMinimumRefresh"] = "00:00:01",
        };
        foreach (var (group, role) in RoleGroups) settings[$"Auth:Provider:RoleMap:{group}"] = role;
        if (dashboard)
        {
            settings["Auth:Provider:ClientId"] = DashboardClient;
            settings["Auth:Provider:ClientSecret"] = DashboardSecret;
            settings["Auth:Provider:Scopes:0"] = "api";
            settings["Auth:Provider:Resource"] = Resource;
            settings["Auth:Provider:DisplayName"] = "Test Clinic ID";
        }
        return settings;
    }

    /// An access token by the client-credentials grant, as an integration engine gets one.
    public async Task<string> ClientCredentialsToken(string clientId, string resource = Resource)
    {
        var response = await _http.PostAsync($"{Issuer}/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = ClientSecret,
            ["scope"] = "api", ["resource"] = resource,
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"token endpoint: {(int)response.StatusCode} {body}");
        return (string)JsonNode.Parse(body)!["access_token"]!;
    }

    public Task AddUser(string id, string password, params string[] groups) =>
        Admin("/admin/users", new { id, password, groups });

    public Task DisableUser(string id) => Admin($"/admin/users/{Uri.EscapeDataString(id)}/disable", new { });

    /// New signing keys sign from now on; the old ones stay published.
    public Task RotateKeys() => Admin("/admin/rotate-keys", new { });

    private async Task Admin(string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Issuer + path) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _adminToken);
        var response = await _http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// The key id a token was signed with.
    public static string KeyIdOf(string token) =>
        (string)JsonNode.Parse(Convert.FromBase64String(Pad(token.Split('.')[0].Replace('-', '+').Replace('_', '/'))))!["kid"]!;

    private static string Pad(string base64) => base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        File.Delete(_configFile);
    }
}

