// Checks, in the browser, that one audit entry is in the log a signed checkpoint describes.
//
// Input: the inclusion evidence JSON of `gatehouse audit prove SEQ` (docs/audit-format.md,
// "Inclusion proofs"). verifyEvidence(evidence) is {ok: true, ...} only when ALL of these hold:
//   1. the verifier key text is well formed and its key id is the one its name and key give;
//   2. the checkpoint is a C2SP signed note with a valid Ed25519 signature by that key
//      (a bad signature by that key fails; other keys' signatures are ignored), whose origin
//      is the key's name (Gatehouse's checkpoints use the key name as origin);
//   3. the evidence's tree_size and root are the note's;
//   4. the entry line states the evidence's seq, and leaf_hash (if present) is
//      SHA-256(0x00 || entry);
//   5. the RFC 9162 §2.1.3.2 inclusion proof leads from that leaf, at index seq, to the
//      note's root for the note's tree size.
// So the entry shown is, byte for byte, entry `seq` of the log whose head the key signed.
// It says nothing about the key itself: compare the key (or its id) with a copy of
// `audit/signing-key.pub` the owner keeps off this host (`gatehouse audit checkpoint` prints it),
// or pass that as options.verifierKey so any other key fails.
//
// Plain ES module, no dependencies: globalThis.crypto.subtle (SHA-256, Ed25519), TextEncoder,
// atob, btoa. Runs unchanged in browsers with WebCrypto Ed25519 and in Node 20.

// Absent outside a secure context (HTTPS or loopback): check() then refuses, saying so.
const subtle = globalThis.crypto?.subtle;
const DASH = "\u2014 ";

/** A failure whose message is the short sentence verifyEvidence reports. */
class Refusal extends Error {}

function refuse(reason) {
  throw new Refusal(reason);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function sha256(bytes) {
  return new Uint8Array(await subtle.digest("SHA-256", bytes));
}

function equalBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text, what) {
  if (typeof text !== "string" || !/^([0-9a-f]{2})*$/.test(text)) {
    refuse(`${what} is not lower-case hex`);
  }
  return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function fromBase64(text, what) {
  // Standard alphabet with padding, as Java's Base64 encoder writes it; anything else is refused.
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    refuse(`${what} is not base64`);
  }
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return refuse(`${what} is not base64`);
  }
}

function base64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

/** RFC 6962 leaf hash: SHA-256(0x00 || data). */
export async function leafHash(data) {
  return sha256(concat(Uint8Array.of(0x00), data));
}

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(0x01), left, right));
}

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2) from the leaf hash at `index` in
 * a tree of `size` leaves. Throws (with a short reason) when the index is outside the tree or
 * the proof has the wrong number or length of hashes for that index and size. Indexes and
 * sizes are numbers or BigInts; the walk uses BigInt so sizes above 2^32 are exact.
 */
export async function rootFromInclusionProof(index, size, leaf, proof) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (fn < 0n || fn > sn) {
    refuse(`entry ${index} is not in a tree of ${size} entries`);
  }
  for (const h of [leaf, ...proof]) {
    if (h.length !== 32) {
      refuse("a hash in the proof is not 32 bytes");
    }
  }
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) {
      refuse("the inclusion proof is too long");
    }
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) {
    refuse("the inclusion proof is too short");
  }
  return r;
}

/** C2SP key id: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key). */
export async function keyId(name, publicKey) {
  const id = await sha256(concat(new TextEncoder().encode(name + "\n"), Uint8Array.of(0x01), publicKey));
  return id.slice(0, 4);
}

/** A C2SP verifier key `name+hexkeyid+base64(0x01 || 32-byte Ed25519 key)`, its key id checked. */
export async function parseVerifierKey(text) {
  if (typeof text !== "string") {
    refuse("there is no verifier key");
  }
  const parts = text.trim().split("+");
  // The name holds no '+'; the base64 may: rejoin what follows the id.
  if (parts.length < 3 || parts[0] === "" || !/^[0-9a-f]{8}$/.test(parts[1])) {
    refuse("the verifier key is not name+keyid+key");
  }
  const name = parts[0];
  const blob = fromBase64(parts.slice(2).join("+"), "the verifier key");
  if (blob.length !== 33 || blob[0] !== 0x01) {
    refuse("the verifier key is not an Ed25519 key");
  }
  const publicKey = blob.slice(1);
  const id = await keyId(name, publicKey);
  if (hex(id) !== parts[1]) {
    refuse("the verifier key's id does not match its name and key");
  }
  return { name, id, publicKey };
}

/**
 * A C2SP signed note, verified against `key` (from parseVerifierKey): returns its checkpoint
 * body {origin, size (BigInt), root, extensions}. At least one signature line must be by the
 * key (same name and key id) and every such line must verify; lines of other keys are ignored.
 */
export async function verifyNote(note, key) {
  if (typeof note !== "string" || !note.endsWith("\n")) {
    refuse("the checkpoint is not a signed note");
  }
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) {
    refuse("the checkpoint has control characters");
  }
  const sep = note.lastIndexOf("\n\n");
  if (sep < 0 || sep + 2 === note.length) {
    refuse("the checkpoint is not a signed note (no signature lines)");
  }
  const text = note.slice(0, sep + 1); // what the signature covers, up to its last newline
  const lines = note.slice(sep + 2, -1).split("\n");
  let pub;
  try {
    pub = await subtle.importKey("raw", key.publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch {
    refuse("this browser cannot check Ed25519 signatures (WebCrypto)");
  }
  let good = 0;
  for (const line of lines) {
    if (!line.startsWith(DASH)) {
      refuse("a signature line of the checkpoint does not start with an em dash");
    }
    const fields = line.slice(DASH.length).split(" ");
    if (fields.length !== 2 || fields[0] === "" || fields[0].includes("+")) {
      refuse("a signature line of the checkpoint is not '\u2014 name signature'");
    }
    const blob = fromBase64(fields[1], "a checkpoint signature");
    if (blob.length < 5) {
      refuse("a checkpoint signature is too short");
    }
    if (fields[0] !== key.name || !equalBytes(blob.slice(0, 4), key.id)) {
      continue; // another key's signature: neither trusted nor held against the note
    }
    const sig = blob.slice(4);
    const ok = sig.length === 64
      && await subtle.verify({ name: "Ed25519" }, pub, sig, new TextEncoder().encode(text));
    if (!ok) {
      refuse("the checkpoint's signature is not valid for the verifier key");
    }
    good++;
  }
  if (good === 0) {
    refuse(`the checkpoint has no signature by ${key.name}`);
  }
  const body = text.split("\n").slice(0, -1);
  if (body.length < 3) {
    refuse("the checkpoint has no origin, size and root lines");
  }
  const [origin, sizeText, rootText, ...extensions] = body;
  if (origin === "" || extensions.includes("")) {
    refuse("the checkpoint has an empty line in its body");
  }
  if (!/^(0|[1-9][0-9]{0,18})$/.test(sizeText)) {
    refuse("the checkpoint's tree size is not a decimal number");
  }
  const root = fromBase64(rootText, "the checkpoint's root");
  if (root.length !== 32) {
    refuse("the checkpoint's root is not 32 bytes");
  }
  return { origin, size: BigInt(sizeText), root, extensions };
}

/**
 * Checks inclusion evidence (the JSON above). Returns {ok: true, seq, treeSize, root (base64),
 * keyName, keyId (hex)} or {ok: false, reason} where reason is one short sentence; also
 * newerThanCheckpoint: true when no signed checkpoint covers the entry yet. Never throws for bad
 * evidence. options.verifierKey: a key text the caller trusts; the evidence's must equal it.
 */
export async function verifyEvidence(evidence, options) {
  try {
    return await check(evidence, options ?? {});
  } catch (e) {
    if (e instanceof Refusal) {
      return { ok: false, reason: e.message };
    }
    return { ok: false, reason: `the evidence could not be checked (${e && e.message ? e.message : e})` };
  }
}

async function check(evidence, options) {
  if (!subtle) {
    refuse("this page has no WebCrypto (it needs HTTPS or a loopback address)");
  }
  if (evidence === null || typeof evidence !== "object") {
    refuse("the evidence is not a JSON object");
  }
  const seq = evidence.seq;
  if (!Number.isSafeInteger(seq) || seq < 0) {
    refuse("the evidence has no entry number (seq)");
  }
  if (evidence.newer_than_checkpoint === true || evidence.checkpoint == null) {
    return {
      ok: false,
      newerThanCheckpoint: true,
      reason: `entry ${seq} is newer than the latest signed checkpoint, so nothing signed covers it yet`,
    };
  }
  const key = await parseVerifierKey(evidence.verifier_key);
  if (options.verifierKey != null && options.verifierKey.trim() !== evidence.verifier_key.trim()) {
    refuse("the checkpoint is signed by another key than the one expected");
  }
  const note = await verifyNote(evidence.checkpoint, key);
  if (note.origin !== key.name) {
    refuse("the checkpoint's origin is not the key's name");
  }
  if (note.size > BigInt(Number.MAX_SAFE_INTEGER)) {
    refuse("the checkpoint's tree size is too large");
  }
  const treeSize = Number(note.size);
  if (evidence.tree_size !== treeSize) {
    refuse(`the evidence's tree size (${evidence.tree_size}) is not the signed one (${treeSize})`);
  }
  if (evidence.root !== base64(note.root)) {
    refuse("the evidence's root is not the signed one");
  }
  if (typeof evidence.entry !== "string" || !/^[\x20-\x7e]*$/.test(evidence.entry)) {
    refuse("the entry is not an audit line (printable ASCII)");
  }
  let stated;
  try {
    stated = JSON.parse(evidence.entry).seq;
  } catch {
    refuse("the entry is not JSON");
  }
  if (stated !== seq) {
    refuse(`the entry states seq ${stated}, not ${seq}`);
  }
  const leaf = await leafHash(new TextEncoder().encode(evidence.entry));
  if (evidence.leaf_hash != null && !equalBytes(fromHex(evidence.leaf_hash, "the leaf hash"), leaf)) {
    refuse("the leaf hash is not the entry's");
  }
  if (!Array.isArray(evidence.inclusion_proof)) {
    refuse("the evidence has no inclusion proof");
  }
  const proof = evidence.inclusion_proof.map((h) => fromHex(h, "a proof hash"));
  const root = await rootFromInclusionProof(seq, treeSize, leaf, proof);
  if (!equalBytes(root, note.root)) {
    refuse("the inclusion proof does not lead to the signed root: the entry or the proof was changed");
  }
  return { ok: true, seq, treeSize, root: base64(note.root), keyName: key.name, keyId: hex(key.id) };
}
