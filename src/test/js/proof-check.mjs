// Drives the dashboard's proof.js (the exact file the page loads) for ProofJsTest.
// Usage: node proof-check.mjs PATH/TO/proof.js < cases.json > results.json
// cases.json is an array of
//   {"op": "verify", "evidence": {...}, "options": {...}}   -> verifyEvidence's result
//   {"op": "root", "index": N, "size": N, "leaf": hex, "proof": [hex]} -> {"root": hex} or {"error": msg}
//   {"op": "leaf", "data": hex} and {"op": "node", "left": hex, "right": hex} -> {"hash": hex}
// The module is loaded from a data: URL, so Node treats it as an ES module, as a browser does
// for <script type="module">, without a package.json or a copy under another name.
import { readFileSync } from "node:fs";

const source = readFileSync(process.argv[2]);
const proof = await import("data:text/javascript;base64," + source.toString("base64"));
const cases = JSON.parse(readFileSync(0, "utf8"));
const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const results = [];
for (const c of cases) {
  if (c.op === "verify") {
    results.push(await proof.verifyEvidence(c.evidence, c.options));
  } else if (c.op === "root") {
    try {
      const root = await proof.rootFromInclusionProof(c.index, c.size, fromHex(c.leaf), c.proof.map(fromHex));
      results.push({ root: proof.hex(root) });
    } catch (e) {
      results.push({ error: e.message });
    }
  } else if (c.op === "node") {
    results.push({ hash: proof.hex(await proof.nodeHash(fromHex(c.left), fromHex(c.right))) });
  } else if (c.op === "leaf") {
    results.push({ hash: proof.hex(await proof.leafHash(fromHex(c.data))) });
  } else {
    throw new Error("unknown op " + c.op);
  }
}
process.stdout.write(JSON.stringify(results));
