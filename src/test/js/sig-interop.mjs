// Interop driver for MessageSignaturesInteropTest: signs and verifies Gatehouse requests with the
// independent npm package http-message-signatures (1.0.6), using its hmac-sha256 signer/verifier.
//
// Usage: node sig-interop.mjs <npm-prefix>   (the package is installed under <npm-prefix>/node_modules)
// stdin: one JSON object.
//   {"mode":"sign", "method", "url", "body" (base64), "keyid", "key" (base64), "created" (s), "nonce"}
//     -> stdout {"signature-input", "signature", "content-digest"}
//   with "bodiless": true (a GET without a body): no "body"; covers the four derived components only
//     -> stdout {"signature-input", "signature"}
//   {"mode":"verify", "method", "url", "body" (base64), "key" (base64), "headers": {name: value}}
//     -> stdout {"ok": true|false, "error"?: "..."}
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import path from 'node:path';

const prefix = process.argv[2];
if (!prefix) {
  console.error('usage: node sig-interop.mjs <npm-prefix>');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(prefix), 'package.json'));
const { httpbis, createSigner, createVerifier } = require('http-message-signatures');

const FIELDS = ['@method', '@authority', '@path', '@query', 'content-digest'];
const PARAMS = ['created', 'nonce', 'keyid', 'alg'];

function contentDigest(body) {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

async function sign(req) {
  const key = createSigner(Buffer.from(req.key, 'base64'), 'hmac-sha256', req.keyid);
  const signed = await httpbis.signMessage({
    key,
    name: 'sig1',
    fields: req.bodiless ? FIELDS.slice(0, 4) : FIELDS,
    params: PARAMS,
    paramValues: { created: new Date(req.created * 1000), nonce: req.nonce },
  }, {
    method: req.method,
    url: req.url,
    headers: req.bodiless ? {} : { 'content-digest': contentDigest(Buffer.from(req.body, 'base64')) },
  });
  return {
    'signature-input': signed.headers['Signature-Input'],
    'signature': signed.headers['Signature'],
    'content-digest': signed.headers['content-digest'],
  };
}

async function verify(req) {
  const body = Buffer.from(req.body, 'base64');
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
  if (headers['content-digest'] !== contentDigest(body)) {
    return { ok: false, error: 'content-digest does not match the body' };
  }
  const keyBytes = Buffer.from(req.key, 'base64');
  try {
    const ok = await httpbis.verifyMessage({
      async keyLookup(params) {
        return { id: params.keyid, algs: ['hmac-sha256'], verify: createVerifier(keyBytes, 'hmac-sha256') };
      },
      requiredFields: FIELDS,
      requiredParams: PARAMS,
      // created must not be in the future; the test's fixed created times are in the past.
      notAfter: Math.floor(Date.now() / 1000) + 60,
    }, { method: req.method, url: req.url, headers });
    return { ok: ok === true };
  } catch (e) {
    return { ok: false, error: `${e.name}: ${e.message}` };
  }
}

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const req = JSON.parse(input);
const out = req.mode === 'sign' ? await sign(req) : req.mode === 'verify' ? await verify(req) : null;
if (!out) {
  console.error(`unknown mode ${req.mode}`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(out) + '\n');
