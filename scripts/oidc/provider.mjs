// A real OpenID provider on loopback for the service's sign-in tests and for trying the dashboard's sign-in locally:
// panva's oidc-provider (OpenID Certified), configured like a clinic's identity provider would be for Outcomes.
//
//   node scripts/oidc/provider.mjs [--port 0] [--config FILE]
//
// Prints one JSON line when it listens: {"issuer": "http://127.0.0.1:PORT", "admin": "<admin token>"}.
// Tokens for the API are JWTs (RFC 9068) for one resource, audience `audience`, signed RS256 (or ES256 for a client
// whose `access_token_alg` says so), with the person's (or the engine's) `groups` and `clinics`.
// /admin/* (bearer: the admin token) is the tests' hand on the provider: add or disable a user, rotate the signing keys.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';
import Provider, { errors } from 'oidc-provider';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '0' }, config: { type: 'string' } } });
const settings = {
  audience: 'outcomes-api',
  resource: 'urn:outcomes:api',
  // Other APIs of the same provider (resource -> audience): their tokens must not open Outcomes.
  otherResources: { 'urn:other:api': 'other-api' },
  accessTokenTtl: 300,
  clients: [],
  users: {},
  ...(args.config ? JSON.parse(fs.readFileSync(args.config, 'utf8')) : {}),
};
const users = new Map(Object.entries(settings.users));
const adminToken = crypto.randomBytes(24).toString('base64url');

// Signing keys, newest first: the provider signs with the first of each type, publishes all of them.
let keys = [];
function newKeys() {
  const stamp = Date.now().toString(36) + crypto.randomBytes(3).toString('hex');
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [{ ...rsa, kid: `rsa-${stamp}`, use: 'sig', alg: 'RS256' }, { ...ec, kid: `ec-${stamp}`, use: 'sig', alg: 'ES256' }];
}
keys = newKeys();

function groupsOf(token, client) {
  if (token.accountId) {
    const user = users.get(token.accountId);
    return { groups: user?.groups ?? [], clinics: user?.clinics ?? [] };
  }
  return { groups: client?.groups ?? [], clinics: client?.clinics ?? [] };
}

function configuration() {
  return {
    clients: settings.clients,
    extraClientMetadata: { properties: ['groups', 'clinics', 'access_token_alg'] },
    jwks: { keys },
    cookies: { keys: ['outcomes-test-provider-cookies-are-signed-with-this'] },
    scopes: ['openid', 'profile', 'offline_access', 'api'],
    claims: { openid: ['sub'], profile: ['name'] },
    pkce: { required: () => true },
    ttl: {
      AccessToken: settings.accessTokenTtl,
      ClientCredentials: settings.accessTokenTtl,
      IdToken: 3600,
      RefreshToken: 86400,
      Interaction: 600,
      Session: 86400,
      Grant: 86400,
    },
    async findAccount(ctx, sub) {
      const user = users.get(sub);
      // A disabled user is no account at all: a refresh token of theirs is refused (invalid_grant).
      if (!user || user.disabled) return undefined;
      return { accountId: sub, claims: async () => ({ sub, name: user.name ?? sub }) };
    },
    async extraTokenClaims(ctx, token) {
      return groupsOf(token, ctx.oidc.client);
    },
    async issueRefreshToken(ctx, client) {
      return client.grantTypeAllowed('refresh_token');
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => settings.resource,
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, resource, client) {
          const audience = resource === settings.resource ? settings.audience : settings.otherResources[resource];
          if (!audience) throw new errors.InvalidTarget();
          return {
            scope: 'api',
            audience,
            accessTokenTTL: settings.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: client?.access_token_alg ?? 'RS256' } },
          };
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        // The confirmation form submits itself: signing out of Outcomes signs out here without a second click.
        async logoutSource(ctx, form) {
          // logout=yes is what the default page's "Yes, sign me out" button sends: end the session at the provider too.
          ctx.body = `<!DOCTYPE html><html><head><title>Signing out</title></head><body>${form}
            <input type="hidden" form="op.logoutForm" name="logout" value="yes">
            <p>Signing out…</p><script>document.getElementById('op.logoutForm').submit()</script></body></html>`;
        },
      },
    },
  };
}

let provider;
function build(issuer) {
  provider = new Provider(issuer, configuration());
  provider.proxy = false;
  return provider;
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function loginPage(uid, problem) {
  return `<!DOCTYPE html><html><head><title>Clinic sign-in</title></head><body>
    <h1>Clinic identity provider</h1>${problem ? `<p class="problem">${escape(problem)}</p>` : ''}
    <form method="post" action="/interaction/${escape(uid)}/login">
      <label>User <input id="username" name="username" autocomplete="username"></label>
      <label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
      <button type="submit">Sign in</button>
    </form></body></html>`;
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'consent') {
    // First-party clients: what they ask for is granted without a consent page.
    const { prompt: { details: missing }, params, session } = details;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: details.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
  }
  if (details.prompt.name !== 'login') return send(res, 400, { error: `unexpected prompt ${details.prompt.name}` });
  if (req.method === 'GET') return send(res, 200, loginPage(uid), 'text/html; charset=utf-8');
  if (action !== 'login') return send(res, 404, { error: 'not_found' });
  const form = new URLSearchParams(await readBody(req));
  const user = users.get(form.get('username') ?? '');
  if (!user || user.disabled || user.password !== form.get('password'))
    return send(res, 200, loginPage(uid, 'Unknown user, wrong password or disabled account.'), 'text/html; charset=utf-8');
  return provider.interactionFinished(req, res, { login: { accountId: form.get('username') } }, { mergeWithLastSubmission: false });
}

async function admin(req, res, path) {
  if (req.headers.authorization !== `Bearer ${adminToken}`) return send(res, 401, { error: 'admin token required' });
  if (req.method === 'POST' && path === '/admin/users') {
    const user = JSON.parse(await readBody(req));
    users.set(user.id, { password: user.password, name: user.name, groups: user.groups ?? [], clinics: user.clinics ?? [] });
    return send(res, 201, { id: user.id });
  }
  const disable = /^\/admin\/users\/([^/]+)\/disable$/.exec(path);
  if (req.method === 'POST' && disable) {
    const user = users.get(decodeURIComponent(disable[1]));
    if (!user) return send(res, 404, { error: 'no such user' });
    user.disabled = true;
    return send(res, 200, { disabled: disable[1] });
  }
  if (req.method === 'POST' && path === '/admin/rotate-keys') {
    // The new keys sign from now on; the old ones stay published so tokens they signed stay valid until they expire.
    keys = [...newKeys(), ...keys];
    build(provider.issuer);
    return send(res, 200, { kids: keys.map((k) => k.kid) });
  }
  return send(res, 404, { error: 'not_found' });
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, provider.issuer);
    if (url.pathname.startsWith('/admin/')) return await admin(req, res, url.pathname);
    const step = /^\/interaction\/([^/]+)(?:\/(login))?$/.exec(url.pathname);
    if (step) return await interaction(req, res, step[1], step[2]);
    return provider.callback()(req, res);
  } catch (error) {
    if (!res.headersSent) send(res, 500, { error: 'server_error', error_description: String(error?.message ?? error) });
  }
});

server.listen(Number(args.port), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  build(issuer);
  process.stdout.write(JSON.stringify({ issuer, admin: adminToken }) + '\n');
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
// The tests start it as a child: when the test host's pipe closes, the provider goes too.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
