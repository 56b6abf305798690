// An agent as a third party would write one: signs each request with the independent npm
// package http-message-signatures (1.0.6, hmac-sha256) and sends it with Node's own fetch,
// from an agent key file ({"keyid","key","url"}).
//
// Usage: node signed-client.mjs <npm-prefix> <key-file>
// stdin: one JSON object per line:
//   {"method": "POST"|"GET", "path": "/v1/...", "body": <JSON value, POST only>,
//    "headers": {"gatehouse-approval": "..."} (sent AND covered by the signature), "created"? (epoch s)}
// stdout: one JSON object per line, in order: {"status": N, "body": <JSON or text>}
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import readline from 'node:readline';
import path from 'node:path';

const [prefix, keyFile] = process.argv.slice(2);
if (!prefix || !keyFile) {
  console.error('usage: node signed-client.mjs <npm-prefix> <key-file>');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(prefix), 'package.json'));
const { httpbis, createSigner } = require('http-message-signatures');
const key = JSON.parse(readFileSync(keyFile, 'utf8'));

async function send(r) {
  const url = new URL(r.path, key.url).toString();
  const body = r.method === 'GET' ? Buffer.alloc(0) : Buffer.from(JSON.stringify(r.body ?? {}));
  const extra = r.headers ?? {};
  const headers = { 'content-digest': `sha-256=:${createHash('sha256').update(body).digest('base64')}:`, ...extra };
  const signed = await httpbis.signMessage({
    key: createSigner(Buffer.from(key.key, 'base64'), 'hmac-sha256', key.keyid),
    name: 'sig1',
    fields: ['@method', '@authority', '@path', '@query', 'content-digest', ...Object.keys(extra)],
    params: ['created', 'nonce', 'keyid', 'alg'],
    paramValues: {
      created: new Date((r.created ?? Math.floor(Date.now() / 1000)) * 1000),
      nonce: randomBytes(16).toString('base64url'),
    },
  }, { method: r.method, url, headers });
  const res = await fetch(url, {
    method: r.method,
    headers: {
      ...(r.method === 'GET' ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
      'Signature-Input': signed.headers['Signature-Input'],
      'Signature': signed.headers['Signature'],
    },
    ...(r.method === 'GET' ? {} : { body }),
  });
  const text = await res.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: res.status, body: parsed };
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() === '') continue;
  process.stdout.write(JSON.stringify(await send(JSON.parse(line))) + '\n');
}
