// A chat adapter as a bot author would write one, for ChatConversationTest: it signs
// POST /v1/gate/messages with the independent npm package http-message-signatures (1.0.6,
// hmac-sha256) and Node's own fetch, from a channel key file ({"keyid","key","url"}).
//
// Usage: node chat-adapter.mjs <npm-prefix> <key-file>
// stdin: one JSON object per line: {"sender", "text", "invokes_agent"?, "created"? (epoch s)}
// stdout: one JSON object per line, in order: {"status": N, "body": <the answer's JSON>}
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import readline from 'node:readline';
import path from 'node:path';

const [prefix, keyFile] = process.argv.slice(2);
if (!prefix || !keyFile) {
  console.error('usage: node chat-adapter.mjs <npm-prefix> <key-file>');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(prefix), 'package.json'));
const { httpbis, createSigner } = require('http-message-signatures');
const key = JSON.parse(readFileSync(keyFile, 'utf8'));
const url = new URL('/v1/gate/messages', key.url).toString();

async function ask(message) {
  const body = Buffer.from(JSON.stringify({
    sender: message.sender, text: message.text,
    ...(message.invokes_agent === undefined ? {} : { invokes_agent: message.invokes_agent }),
  }));
  const digest = `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
  const signed = await httpbis.signMessage({
    key: createSigner(Buffer.from(key.key, 'base64'), 'hmac-sha256', key.keyid),
    name: 'sig1',
    fields: ['@method', '@authority', '@path', '@query', 'content-digest'],
    params: ['created', 'nonce', 'keyid', 'alg'],
    paramValues: {
      created: new Date((message.created ?? Math.floor(Date.now() / 1000)) * 1000),
      nonce: randomBytes(16).toString('base64url'),
    },
  }, { method: 'POST', url, headers: { 'content-digest': digest } });
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Content-Digest': digest,
      'Signature-Input': signed.headers['Signature-Input'],
      'Signature': signed.headers['Signature'],
    },
    body,
  });
  return { status: res.status, body: JSON.parse(await res.text()) };
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() === '') continue;
  process.stdout.write(JSON.stringify(await ask(JSON.parse(line))) + '\n');
}
