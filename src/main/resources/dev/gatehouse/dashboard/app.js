// Gatehouse dashboard: the page's only script (served from /static/, never inline).
// On an audit entry's page it fetches the entry's inclusion evidence from this site and
// verifies it here, in the browser, with proof.js: the server gives evidence, not a verdict.

async function checkProof(status) {
  const size = document.getElementById('proof-size');
  const root = document.getElementById('proof-root');
  const key = document.getElementById('proof-key');
  const show = (ok, text) => {
    status.textContent = text;
    status.className = ok ? 'verified' : 'failed';
    status.dataset.result = ok ? 'verified' : 'not-verified';
  };
  try {
    const response = await fetch(status.dataset.evidence, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
    if (!response.ok) {
      show(false, 'NOT verified: the evidence could not be fetched (HTTP ' + response.status + ').');
      return;
    }
    const evidence = await response.json();
    const { verifyEvidence } = await import('./proof.js');
    const result = await verifyEvidence(evidence);
    const expected = Number(status.dataset.seq);
    if (result && result.ok && result.seq !== expected) {
      show(false, 'NOT verified: the evidence is for entry ' + result.seq + ', not ' + expected + '.');
    } else if (result && result.ok) {
      size.textContent = String(result.treeSize);
      root.textContent = String(result.root);
      if (key) key.textContent = result.keyName + ' ' + result.keyId;
      show(true, 'Verified: entry ' + expected + ' is in the signed checkpoint of ' + result.treeSize + ' entries.');
    } else {
      show(false, 'NOT verified: ' + ((result && result.reason) || 'the proof does not hold') + '.');
    }
  } catch (e) {
    show(false, 'NOT verified: ' + (e && e.message ? e.message : String(e)));
  }
}

const status = document.getElementById('proof-status');
if (status && status.dataset.evidence) {
  checkProof(status);
}
