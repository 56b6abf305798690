// Drives the Gatehouse dashboard in Debian's headless chromium through playwright-core,
// as an owner would: sign in with password and a TOTP code, approve one pending request
// with the "Approve" button, find the approval in the audit log and watch the entry's
// inclusion proof being verified in the page, deny the other request with "Deny".
//
// Input: the JSON file named by GATEHOUSE_BROWSER_INPUT (secrets travel there, never in
// argv or env): { base, user, password, codes: [..], approve, deny, screenshots|null }.
// Output (stdout, one JSON object): what the browser saw; the Java test judges it.
// Any console error, page error or CSP violation is collected and reported.
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const input = JSON.parse(readFileSync(process.env.GATEHOUSE_BROWSER_INPUT, 'utf8'));
const require = createRequire(path.join(path.resolve(process.env.GATEHOUSE_NPM_PREFIX || 'target/npm'), 'package.json'));
const { chromium } = require('playwright-core');

const out = { steps: [], problems: [], proof: null };
const step = (s) => out.steps.push(s);
const browser = await chromium.launch({ executablePath: input.chromium || '/usr/bin/chromium' });

function watch(page) {
  // a document's own status is judged by the flow (a refused sign-in answers 401); any
  // failed subresource (script, style, fetch, icon) is a problem
  page.on('response', (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== 'document') {
      out.problems.push(`${r.request().resourceType()} ${new URL(r.url()).pathname}: HTTP ${r.status()}`);
    }
  });
  page.on('console', (m) => {
    if (/^Failed to load resource/.test(m.text())) return; // reported by the response handler
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) {
      out.problems.push(`console ${m.type()}: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => out.problems.push(`page error: ${e.message}`));
}

async function shot(page, name) {
  if (input.screenshots) {
    mkdirSync(input.screenshots, { recursive: true });
    await page.screenshot({ path: path.join(input.screenshots, name + '.png'), fullPage: true });
  }
}

async function expectHeading(page, name) {
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor({ timeout: 10000 });
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  watch(page);
  // CSP violations are also reported as events; collect them from the page itself
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI);
    });
  });

  // 1. Unsigned in, the dashboard sends the browser to the login form.
  await page.goto(input.base + '/approvals');
  await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor({ timeout: 10000 });
  out.loginUrl = new URL(page.url()).pathname + new URL(page.url()).search;
  await shot(page, 'login');

  // 2. Sign in from the keyboard alone: Tab reaches the fields in order, each is the one
  // its accessible name (DESIGN §11) names, and Enter submits.
  let signedIn = false;
  out.keyboard = true;
  for (const code of input.codes) {
    for (const [name, value] of [['User', input.user], ['Password', input.password], ['Code', code]]) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
      const expected = await page.getByLabel(name, { exact: true }).getAttribute('id');
      if (focused !== expected) out.keyboard = false;
      await page.keyboard.type(value);
    }
    await page.keyboard.press('Tab');
    const onButton = await page.evaluate(() => document.activeElement && document.activeElement.textContent);
    if (onButton !== 'Sign in') out.keyboard = false;
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    if (!new URL(page.url()).pathname.startsWith('/login')) {
      signedIn = true;
      break;
    }
  }
  if (!signedIn) throw new Error('could not sign in: ' + (await page.locator('main').innerText()));
  step('signed-in');
  out.afterLogin = new URL(page.url()).pathname;
  await expectHeading(page, 'Approvals');

  await page.goto(input.base + '/');
  await expectHeading(page, 'Overview');
  await page.getByRole('button', { name: 'Verify the audit log now', exact: true }).click();
  await page.waitForLoadState('load');
  out.verifyNow = await page.getByRole('status').first().innerText();
  out.auditState = await page.locator('dt:text-is("Audit log") + dd').innerText();
  await shot(page, 'overview');

  // 3. Approve one request by its button's accessible name, within that request's card.
  await page.goto(input.base + '/approvals');
  await expectHeading(page, 'Approvals');
  await shot(page, 'approvals');
  const toApprove = page.locator(`li[data-approval="${input.approve}"]`);
  await toApprove.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.waitForLoadState('load');
  out.afterApprove = await page.getByRole('status').first().innerText();
  step('approved');

  // 4. The audit page: filter to owner approvals, open the entry, let the page verify it.
  await page.goto(input.base + '/audit');
  await expectHeading(page, 'Audit');
  await shot(page, 'audit');
  await page.getByLabel('Type', { exact: true }).fill('approval.approve');
  await page.getByLabel('Actor', { exact: true }).fill('owner:' + input.user);
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  await page.waitForLoadState('load');
  const row = page.locator('tbody tr', { hasText: input.approveAction || 'approval.approve' }).first();
  await row.getByRole('link').first().click();
  await page.waitForLoadState('load');
  const status = page.locator('#proof-status');
  await status.and(page.locator('[data-result]')).waitFor({ timeout: 15000 });
  out.proof = {
    result: await status.getAttribute('data-result'),
    text: await status.innerText(),
    size: await page.locator('#proof-size').innerText(),
    root: await page.locator('#proof-root').innerText(),
    entry: await page.locator('h1').innerText(),
    actor: await page.locator('dt:text-is("Actor") + dd').innerText(),
    type: await page.locator('dt:text-is("Type") + dd').innerText(),
  };
  await shot(page, 'audit-entry');
  step('proof-checked');

  // 5. Deny the other request with its "Deny" button.
  await page.goto(input.base + '/approvals');
  const toDeny = page.locator(`li[data-approval="${input.deny}"]`);
  await toDeny.getByRole('button', { name: 'Deny', exact: true }).click();
  await page.waitForLoadState('load');
  out.afterDeny = await page.getByRole('status').first().innerText();
  out.remainingApprove = await page.getByRole('button', { name: 'Approve', exact: true }).count();
  step('denied');

  // 6. The other pages, each seen once (and photographed when asked).
  for (const [p, heading, name] of [['/pairing', 'Pairing', 'pairing'], ['/trust', 'Trust', 'trust'],
    ['/agents', 'Agents', 'agents'], ['/services', 'Services', 'services'], ['/vault', 'Vault', 'vault'],
    ['/reauth?next=%2Ftrust', 'Confirm it is you', 'reauth']]) {
    await page.goto(input.base + p);
    await expectHeading(page, heading);
    await shot(page, name);
  }
  step('pages');

  // 7. The overview on a phone-sized screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2,
    isMobile: true, hasTouch: true, storageState: await context.storageState() });
  const small = await phone.newPage();
  watch(small);
  await small.goto(input.base + '/');
  await expectHeading(small, 'Overview');
  out.phoneOverflow = await small.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  await shot(small, 'overview-phone');
  step('phone');

  // 8. Sign out: the session is gone, a page sends back to the login form.
  await page.goto(input.base + '/');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForLoadState('load');
  await page.goto(input.base + '/');
  out.afterLogout = new URL(page.url()).pathname;
  step('signed-out');

  // 9. The detector detects: an inline script added to the page must be refused by the CSP
  // and reported here (so an empty list of problems means something).
  if (input.cspProbe) {
    const before = out.problems.length;
    const refused = page.waitForEvent('console', { predicate: (m) => /Content Security Policy/i.test(m.text()),
      timeout: 10000 }).catch(() => null);
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true;';
      document.body.appendChild(s);
    });
    await refused;
    out.inlineRan = await page.evaluate(() => window.__inlineRan === true);
    out.cspProbe = out.problems.splice(before);
  }
} catch (e) {
  out.error = String(e && e.stack ? e.stack : e);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
