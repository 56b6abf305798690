// An agent's MCP client as a third party would write one: the reference TypeScript SDK's
// Client over its StreamableHTTPClientTransport, whose every request is signed (RFC 9421,
// hmac-sha256) by the independent npm package http-message-signatures through the
// transport's `fetch` option, from an agent key file ({"keyid","key","url"}).
//
// Usage: node mcp-http-client.mjs <npm-prefix> <key-file> <plan.json>
// plan: {"call": {"name", "arguments"}, "refused": {"name", "arguments"}}
// stdout: one JSON object: the server's info, the tools listed, both call results, and what
// the daemon answered to the last signed POST sent again as it was (a replay) and to an
// unsigned POST.
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [prefix, keyFile, planFile] = process.argv.slice(2);
if (!prefix || !keyFile || !planFile) {
  console.error('usage: node mcp-http-client.mjs <npm-prefix> <key-file> <plan.json>');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(prefix), 'package.json'));
const { httpbis, createSigner } = require('http-message-signatures');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const key = JSON.parse(readFileSync(keyFile, 'utf8'));
const plan = JSON.parse(readFileSync(planFile, 'utf8'));
const endpoint = new URL('/mcp', key.url);

let lastPost = null; // the last signed POST exactly as sent: url, headers, body

// Signs as signed-client.mjs does: method, authority, path, query and (with a body) its digest.
async function signedFetch(input, init = {}) {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url).toString();
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = {};
  new Headers(init.headers ?? {}).forEach((v, k) => { headers[k] = v; });
  const body = init.body == null ? Buffer.alloc(0) : Buffer.from(init.body);
  const fields = ['@method', '@authority', '@path', '@query'];
  if (method !== 'GET' || body.length > 0) {
    headers['content-digest'] = `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
    fields.push('content-digest');
  }
  const signed = await httpbis.signMessage({
    key: createSigner(Buffer.from(key.key, 'base64'), 'hmac-sha256', key.keyid),
    name: 'sig1',
    fields,
    params: ['created', 'nonce', 'keyid', 'alg'],
    paramValues: { created: new Date(), nonce: randomBytes(16).toString('base64url') },
  }, { method, url, headers });
  const sent = { ...headers, 'signature-input': signed.headers['Signature-Input'], signature: signed.headers['Signature'] };
  if (method === 'POST') {
    lastPost = { url, headers: sent, body };
  }
  return fetch(url, { ...init, method, headers: sent, ...(body.length > 0 ? { body } : {}) });
}

const out = {};
const client = new Client({ name: 'gatehouse-test-agent', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(endpoint, { fetch: signedFetch }));
out.server = client.getServerVersion();
out.tools = (await client.listTools()).tools;
out.call = await client.callTool(plan.call);
out.refused = await client.callTool(plan.refused);

// The last signed POST, sent again byte for byte: its nonce is spent.
const replay = await fetch(lastPost.url, { method: 'POST', headers: lastPost.headers, body: lastPost.body });
out.replay = { status: replay.status, body: await replay.text() };

// A POST with no signature at all.
const unsigned = await fetch(endpoint, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
});
out.unsigned = { status: unsigned.status, body: await unsigned.text() };
await client.close();
process.stdout.write(JSON.stringify(out) + '\n');
