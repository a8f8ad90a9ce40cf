// An MCP host as Familiar's tests drive it: the official MCP TypeScript SDK's client and its OAuth
// support, given nothing but the server's URL. It prints one JSON object per line:
//   {"authorize": URL}        open this in a browser, sign in and consent; the browser comes back to
//                             this host's own redirect URI (a loopback server it runs), with the code
//   {"registered": {...}}     what dynamic registration gave it
//   {"tools": [...]}, {"call": name, "result": {...}}, {"resource": {...}}, {"tokens": {...}}
//   {"done": true}            or {"error": message}
// Usage: node host.mjs MCP_URL QUERY QUESTION
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const [serverUrl, query, question] = process.argv.slice(2);
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');

let codeArrived;
const code = new Promise((resolve) => (codeArrived = resolve));
const callback = http.createServer((request, response) => {
  const url = new URL(request.url, 'http://127.0.0.1');
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  response.end('<!doctype html><title>Signed in</title><p>You can close this window.</p>');
  if (url.pathname === '/callback') {
    codeArrived(url.searchParams.get('code') ?? ('error:' + url.searchParams.get('error')));
  }
});
await new Promise((resolve) => callback.listen(0, '127.0.0.1', resolve));
const redirectUrl = `http://127.0.0.1:${callback.address().port}/callback`;

// What the SDK asks a host to keep: here in memory, for one run.
const kept = {};
const provider = {
  get redirectUrl() { return redirectUrl; },
  get clientMetadata() {
    return {
      client_name: 'Test MCP Host',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  },
  clientInformation: () => kept.client,
  saveClientInformation: (client) => { kept.client = client; say({ registered: client }); },
  tokens: () => kept.tokens,
  saveTokens: (tokens) => { kept.tokens = tokens; },
  redirectToAuthorization: (url) => say({ authorize: url.toString() }),
  saveCodeVerifier: (verifier) => { kept.verifier = verifier; },
  codeVerifier: () => kept.verifier,
};

async function connect() {
  const client = new Client({ name: 'familiar-test-host', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider });
  try {
    await client.connect(transport);
    return client;
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    const got = await code;
    if (got.startsWith('error:')) throw new Error('authorization failed: ' + got);
    await transport.finishAuth(got);
    const again = new Client({ name: 'familiar-test-host', version: '1.0.0' });
    await again.connect(new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider }));
    return again;
  }
}

try {
  const client = await connect();
  say({ tokens: { scope: kept.tokens.scope, has_refresh_token: !!kept.tokens.refresh_token, access_token: kept.tokens.access_token, refresh_token: kept.tokens.refresh_token } });
  say({ server: client.getServerVersion(), protocol: client.getNegotiatedProtocolVersion?.() });
  const tools = await client.listTools();
  say({ tools: tools.tools.map((tool) => tool.name) });
  for (const [name, args] of [
    ['memory_search', { query }],
    ['memory_add', { content: 'Uses the test MCP host for notes' }],
    ['ask', { question }],
  ]) {
    say({ call: name, result: await client.callTool({ name, arguments: args }) });
  }
  try {
    say({ resource: await client.readResource({ uri: 'familiar://me/preferences' }) });
  } catch (error) {
    say({ resource_error: String(error.message ?? error) });
  }
  await client.close();
  say({ done: true });
} catch (error) {
  say({ error: String(error?.stack ?? error) });
  process.exitCode = 1;
} finally {
  callback.close();
}
