// End-to-end: after the forward (SPEC §9) — the status page link in the confirmation, the
// team asking for details on its action page, the agent sending them in the details form
// (the demo portal with ?details=, the details build), the coaching insights' form events,
// and axe-core on the edge's own pages. Against the real host only (`cargo xtask test-form`
// starts it signing links with RSOS_E2E_LINK_SECRET and answering GET /api/insights to
// RSOS_E2E_INSIGHTS_TOKEN): the dev stand-in has no ledger.
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  axeScan, eventually, expectAttr, field, fill, launch, mailbox, openPortal, screenshot, startTarget, status,
} from './harness.mjs';

const LINK_SECRET = process.env.RSOS_E2E_LINK_SECRET;
const INSIGHTS_TOKEN = process.env.RSOS_E2E_INSIGHTS_TOKEN;

let target;
let browser;
let skip;

before(async () => {
  target = await startTarget();
  browser = await launch();
  skip = target.standIn || !LINK_SECRET || !INSIGHTS_TOKEN
    ? 'needs the real host with links signed (cargo xtask test-form)'
    : false;
});

after(async () => {
  await browser?.close();
  await target?.close();
});

const host = (page) => page.locator('rsos-request-form');
const newMessages = async (before) => (await mailbox(target.url)).slice(before);

/** The first URL after `label` in an email's text. */
function linkAfter(text, label) {
  const at = text.indexOf(label);
  assert.notEqual(at, -1, `"${label}" in:\n${text}`);
  const match = /https?:\/\/\S+/.exec(text.slice(at));
  assert.ok(match, `a link after "${label}"`);
  return match[0];
}

/** Sends a request through the demo portal; its tracking ID and confirmation page. */
async function forward(values = {}) {
  const page = await openPortal(browser, target.url);
  await fill(page, values);
  await host(page).getByRole('button', { name: 'Send request' }).click();
  await host(page).getByRole('heading', { name: 'Request sent' }).waitFor();
  const trackingId = (await host(page).locator('.tracking-id').textContent()).trim();
  return { page, trackingId };
}

/** The team's page behind the forward's "Ask the agent for more details" link. */
async function askPage(trackingId) {
  const messages = await mailbox(target.url);
  const forwarded = messages.find((m) => /AgentRSOS@/i.test(m.to) && m.text.includes(`Tracking ID: ${trackingId}`))
    ?? messages.find((m) => /AgentRSOS@/i.test(m.to) && m.text.includes(trackingId));
  assert.ok(forwarded, `the forward of ${trackingId}`);
  return linkAfter(forwarded.text, 'Ask the agent for more details:');
}

/** A page on its own (no portal): the edge's pages, opened as from an email. */
async function open(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

/** The team asks for `fields` with `note` on the ask page; the details link the agent gets. */
async function askForDetails(trackingId, fields, note) {
  const before = (await mailbox(target.url)).length;
  const page = await open(await askPage(trackingId));
  for (const label of fields) await page.getByLabel(label, { exact: true }).check();
  await page.getByLabel(/Note for the agent/).fill(note);
  await page.getByRole('button', { name: 'Send the request for details' }).click();
  await page.getByText(/^Done\. The request is now: Waiting for more details from you\.$/).waitFor();
  await page.context().close();
  const request = (await newMessages(before)).find((m) => m.subject.includes(`[${trackingId}]: more details needed`));
  assert.ok(request, 'the agent is asked by email');
  return linkAfter(request.text, 'Send the details here');
}

/** The insights counts of `metric` for the demo agent, as GET /api/insights answers them. */
async function counted(metric) {
  const response = await fetch(`${target.url}/api/insights?weeks=1`, { headers: { Authorization: `Bearer ${INSIGHTS_TOKEN}` } });
  assert.equal(response.status, 200);
  const { counts } = await response.json();
  return counts.filter((c) => c.metric === metric && c.agent_san === 'A12345').reduce((n, c) => n + c.count, 0);
}

/** A signed link as the edge makes them (crates/embed-token/src/link.rs). */
function signedLink(trackingId, action, expiresAt = Math.floor(Date.now() / 1000) + 3600) {
  const payload = Buffer.from(`${trackingId}\n${action}\n${expiresAt}`).toString('base64url');
  const mac = createHmac('sha256', LINK_SECRET).update(`l1.${payload}`).digest('base64url');
  return `l1.${payload}.${mac}`;
}

test('the confirmation links to the request\'s status page, which shows it without member data', async (t) => {
  if (skip) return t.skip(skip);
  const { page, trackingId } = await forward();
  const link = host(page).getByRole('link', { name: 'Track this request' });
  const href = await link.getAttribute('href');
  assert.ok(href.startsWith(`${target.url}/api/status/l1.`), href);
  await screenshot(page, 'submitted-with-status-link');
  const statusPage = await open(href);
  await statusPage.getByRole('heading', { name: 'Your request' }).waitFor();
  const text = await statusPage.locator('main').textContent();
  assert.match(text, new RegExp(trackingId));
  assert.match(text, /Received: waiting for the team's first answer/);
  assert.doesNotMatch(text, /Smith|John|H1234/, 'no member data on the status page');
  assert.deepEqual(await axeScan(statusPage), [], 'the status page');
  await statusPage.context().close();
  assert.deepEqual(page.problems, []);
});

test('details: the team asks, the agent sends them in the details form, the mailbox gets them once', async (t) => {
  if (skip) return t.skip(skip);
  const { trackingId } = await forward({ memberId: 'H1234-0007' });
  const detailsUrl = await askForDetails(trackingId, ['Member ID #'], 'The ID on the claim does not match the card.');
  assert.ok(detailsUrl.startsWith(`${target.url}/?details=l1.`), detailsUrl);

  const context = await browser.newContext();
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(e.message));
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST') posts.push({ url: r.url(), key: r.headers()['idempotency-key'] }); });
  const wasm = page.waitForResponse((r) => r.url().endsWith('.wasm'));
  await page.goto(detailsUrl);
  assert.match((await wasm).url(), /rsos_form_details_bg\.wasm$/, 'the details build, not the request form');
  const legend = host(page).getByText(`What the team needs for request ${trackingId}`);
  await legend.waitFor();
  assert.match(await host(page).locator('.note').textContent(), /does not match the card/);
  await host(page).getByText(/^Fill in again: Member ID #\./).waitFor();
  const labels = await host(page).locator('label').allTextContents();
  assert.deepEqual(labels, ['Member ID #', 'Member first name', 'Member last name', 'Summary of issue']);
  assert.deepEqual(await axeScan(page), [], 'the details form');

  // Checked with the rules crate as the agent types: an error once the field is left.
  const memberId = field(page, 'Member ID #');
  await memberId.fill('-H1234');
  await memberId.press('Tab');
  await expectAttr(memberId, 'aria-invalid', 'true');
  await host(page).getByRole('button', { name: 'Send details' }).click();
  assert.match(await status(page).textContent(), /^To fix before sending: Member ID #, Member first name, Member last name, Summary of issue\.$/);
  assert.equal(posts.length, 0, 'nothing is sent while the rules find a problem');
  await screenshot(page, 'details-errors');

  await memberId.fill('H1234-0008');
  await field(page, 'Member first name').fill('John');
  await field(page, 'Member last name').fill('Smith');
  await field(page, 'Summary of issue').fill('The member ID on the new card is H1234-0008; the claim used the old one.');
  await expectAttr(memberId, 'aria-invalid', 'false');
  const before = (await mailbox(target.url)).length;
  // The mail service is down once: the truthful wait, then the same key again.
  let failed = false;
  await page.route('**/details', async (route) => {
    if (!failed) {
      failed = true;
      return route.fulfill({
        status: 503,
        headers: { 'Retry-After': '1', 'Content-Type': 'application/json' },
        body: '{"error":"Your details are recorded, but the mail service did not take them yet."}',
      });
    }
    return route.continue();
  });
  await page.evaluate(() => {
    document.addEventListener('rsos-details-sent', (e) => { globalThis.detailsSent = e.detail; }, { once: true });
  });
  await host(page).getByRole('button', { name: 'Send details' }).click();
  await host(page).getByText(/^The mail service asked us to wait 1 s\. Trying again at .+ \(attempt 2 of 5\); nothing is sent twice\.$/).waitFor();
  const sent = host(page).getByRole('heading', { name: 'Details sent' });
  await sent.waitFor({ timeout: 15000 });
  await eventually(() => sent.evaluate((h) => h.getRootNode().activeElement === h), true, 'focus on the result');
  assert.match(await host(page).locator('.result').textContent(), new RegExp(`Tracking ID ${trackingId}\\. Status: Received: waiting for the team's first answer\\.`));
  assert.deepEqual(await page.evaluate(() => globalThis.detailsSent), { trackingId });
  const detailPosts = posts.filter((p) => p.url.endsWith(`/api/requests/${trackingId}/details`));
  assert.equal(detailPosts.length, 2);
  assert.equal(new Set(detailPosts.map((p) => p.key)).size, 1, 'one Idempotency-Key across the retry');
  assert.deepEqual(await axeScan(page), [], 'details sent');
  await screenshot(page, 'details-sent');

  const replies = (await newMessages(before)).filter((m) => /AgentRSOS@/i.test(m.to));
  assert.equal(replies.length, 1, 'the mailbox gets the details once');
  assert.equal(replies[0].subject, 'Smith, John Medicare', 'in the thread of the original');
  assert.match(replies[0].text, new RegExp(`More details from the agent for request ${trackingId}`));
  assert.match(replies[0].text, /Member ID #: H1234-0008/);
  assert.match(replies[0].text, /the claim used the old one/);

  // The link again, once answered: nothing is waited for.
  await page.goto(detailsUrl);
  await host(page).getByRole('heading', { name: 'Nothing is needed from you now' }).waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('details: a 422 from the edge lands on its field', async (t) => {
  if (skip) return t.skip(skip);
  const { trackingId } = await forward({ memberId: 'H1234-0009' });
  const detailsUrl = await askForDetails(trackingId, [], 'Tell us which claim it is.');
  const page = await open(detailsUrl);
  await host(page).getByText(`What the team needs for request ${trackingId}`).waitFor();
  await field(page, 'Member first name').fill('John');
  await field(page, 'Member last name').fill('Smith');
  await field(page, 'Summary of issue').fill('It is the claim for the March 3 visit, number CLM-20261101.');
  await page.route('**/details', (route) => route.fulfill({
    status: 422,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ outcome: 'needs_changes', errors: [{ field: 'member_last_name', code: 'invalid_characters', message: 'Member last name: the server refused it.' }] }),
  }));
  await host(page).getByRole('button', { name: 'Send details' }).click();
  const lastName = field(page, 'Member last name');
  await host(page).getByText('Member last name: the server refused it.').waitFor();
  await expectAttr(lastName, 'aria-invalid', 'true');
  await eventually(() => lastName.evaluate((el) => el.getRootNode().activeElement === el), true, 'focus on the field');
  await page.context().close();
});

test('details: an expired or forged link gets the edge\'s sentence, plainly', async (t) => {
  if (skip) return t.skip(skip);
  const expired = signedLink('RSOS-20261130-ABCD2345', 'details', Math.floor(Date.now() / 1000) - 60);
  const forged = `${signedLink('RSOS-20261130-ABCD2345', 'details').slice(0, -4)}AAAA`;
  for (const [token, sentence] of [[expired, 'This link has expired.'], [forged, 'This link is not valid for this service.'], ['l1.garbage', 'This link is not complete: copy the whole link from the email.']]) {
    const page = await open(`${target.url}/?details=${encodeURIComponent(token)}`);
    await host(page).getByRole('heading', { name: 'This details link cannot be used' }).waitFor();
    assert.equal((await host(page).locator('.result p').first().textContent()).trim(), sentence);
    assert.equal(await host(page).getByRole('button', { name: 'Try again' }).count(), 0, 'trying again cannot help');
    await page.context().close();
  }
});

test('form events: guidance shown once per draft and category, a split once, codes only, never with a broken SAN', async (t) => {
  if (skip) return t.skip(skip);
  const before = { commission: await counted('guidance_shown.commission'), medicaid: await counted('guidance_shown.medicaid'), split: await counted('mixed.split') };
  const page = await openPortal(browser, target.url);
  const bodies = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/events')) bodies.push({ body: JSON.parse(r.postData()), key: r.headers()['idempotency-key'] }); });
  await fill(page, { topic: 'commission' });
  await host(page).locator('.result.oos').waitFor();
  // Shown again after a change of topic: the same draft and category count once.
  await field(page, 'Topic').selectOption('claims');
  await field(page, 'Topic').selectOption('commission');
  await field(page, 'Plan').selectOption('medicaid');
  await eventually(() => bodies.length >= 2, true, 'the events were sent');
  await eventually(async () => (await counted('guidance_shown.commission')) - before.commission, 1, 'commission counted once', 10000);
  await eventually(async () => (await counted('guidance_shown.medicaid')) - before.medicaid, 1, 'medicaid counted once', 10000);
  for (const { body } of bodies) {
    assert.deepEqual(Object.keys(body), ['kind', 'category', 'agent_san', 'ruleset'], 'the FormEvent members, nothing else');
    assert.equal(body.kind, 'guidance_shown');
    assert.equal(body.agent_san, 'A12345');
    assert.doesNotMatch(JSON.stringify(body), /Smith|John|H1234|Claim/, 'no member data');
  }
  assert.equal(new Set(bodies.filter((b) => b.body.category === 'commission').map((b) => b.key)).size, 1, 'one key per draft and category');

  // The split: one event per split.
  await field(page, 'Plan').selectOption('medicare');
  await field(page, 'Topic').selectOption('claims');
  await field(page, 'Summary of issue').fill('Medicare claim denied, and the member also has a HumanaOne plan with a billing problem.');
  await host(page).getByRole('button', { name: /Split into two requests/ }).click();
  await eventually(async () => (await counted('mixed.split')) - before.split, 1, 'the split counted', 10000);
  assert.deepEqual(Object.keys(bodies.at(-1).body), ['kind', 'agent_san', 'ruleset']);
  await page.context().close();

  // A SAN that breaks its rule: nothing is sent.
  const broken = await openPortal(browser, target.url);
  const sent = [];
  broken.on('request', (r) => { if (r.url().endsWith('/api/events')) sent.push(r.postData()); });
  await field(broken, 'Agent SAN').fill('A12-345');
  await fill(broken, { topic: 'aor' });
  await host(broken).locator('.result.oos').waitFor();
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(sent, []);
  assert.deepEqual(broken.problems, []);
  await broken.context().close();
});

test('axe-core finds no violations on the team\'s ask page and the insights page', async (t) => {
  if (skip) return t.skip(skip);
  const { trackingId } = await forward({ memberId: 'H1234-0010' });
  const ask = await open(await askPage(trackingId));
  await ask.getByRole('heading', { name: 'Ask the agent for more details' }).waitFor();
  assert.equal(await ask.getByRole('checkbox').count(), 6);
  assert.deepEqual(await axeScan(ask), [], 'the ask page with its checkboxes');
  await screenshot(ask, 'team-ask-page');
  await ask.context().close();

  const insights = await open(`${target.url}/api/insights/${signedLink('', 'insights')}`);
  await insights.getByRole('heading', { name: 'Coaching insights' }).waitFor();
  assert.ok(await insights.locator('svg[role="img"]').count() >= 1, 'a chart');
  assert.deepEqual(await axeScan(insights), [], 'the insights page');
  await screenshot(insights, 'insights-page');
  await insights.context().close();
});
