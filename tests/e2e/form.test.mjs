// End-to-end: the demo portal with <rsos-request-form> in Debian's Chromium, against the
// edge API and mailbox (RSOS_E2E_BASE_URL) or the dev stand-in. Screenshots go to
// artifacts/. Network faults are injected in the browser (page.route), so every fault test
// runs unchanged against the real host.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GOOD, axeScan, eventually, expectAttr, field, fill, form, launch, mailbox, openPortal, screenshot, startTarget, status,
} from './harness.mjs';

let target;
let browser;

before(async () => {
  target = await startTarget();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await target?.close();
});

const host = (page) => page.locator('rsos-request-form');
const send = (page) => host(page).getByRole('button', { name: 'Send request' });
const newMessages = async (before) => (await mailbox(target.url)).slice(before);

async function recordEvents(page) {
  await page.evaluate(() => {
    globalThis.rsosEvents = [];
    for (const name of ['rsos-submitted', 'rsos-out-of-scope']) {
      document.addEventListener(name, (e) => globalThis.rsosEvents.push({ name, detail: e.detail }));
    }
  });
}

test('fill and submit: confirmation with tracking ID and local times, two emails, draft cleared', async () => {
  const page = await openPortal(browser, target.url, { timezoneId: 'America/Los_Angeles' });
  await recordEvents(page);
  const before = (await mailbox(target.url)).length;
  await fill(page);
  await assert.doesNotReject(host(page).getByText('Smith, John Medicare').waitFor());
  await send(page).click();
  const heading = host(page).getByRole('heading', { name: 'Request sent' });
  await heading.waitFor();
  const trackingId = (await host(page).locator('.tracking-id').textContent()).trim();
  assert.match(trackingId, /^RSOS-/);
  assert.match(await status(page).textContent(), new RegExp(`Tracking ID ${trackingId}`));
  // Focus lands on the result so keyboard and screen-reader users hear it.
  await eventually(() => heading.evaluate((h) => h.getRootNode().activeElement === h), true, 'focus on the result heading');
  const times = await host(page).locator('dd time').allTextContents();
  assert.equal(times.length, 3);
  for (const t of times) assert.match(t, /\d{4}.*\b(PST|PDT)\b/, "times are in the agent's zone (here Los Angeles)");
  const messages = await newMessages(before);
  assert.equal(messages.length, 2, 'a forward and an acknowledgement');
  assert.ok(messages.some((m) => m.subject === 'Smith, John Medicare' && /AgentRSOS@/i.test(m.to)));
  assert.ok(messages.some((m) => m.to === 'pat.agent@agency.example'));
  const events = await page.evaluate(() => globalThis.rsosEvents);
  assert.deepEqual(events.map((e) => [e.name, e.detail.trackingId]), [['rsos-submitted', trackingId]]);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'the draft is gone after a confirmed submission');
  await screenshot(page, 'submitted');
  await host(page).getByRole('button', { name: 'Start a new request' }).click();
  assert.equal(await field(page, 'Member ID #').inputValue(), '');
  assert.equal(await field(page, 'Agent Name').inputValue(), 'Pat Agent', 'portal prefills stay');
  assert.deepEqual(page.problems, []);
});

/** The weekday, month and day of an RFC 3339 instant in Los Angeles, as Chromium writes them. */
const laDay = (rfc3339) => new Date(rfc3339).toLocaleDateString('en-US', {
  timeZone: 'America/Los_Angeles', weekday: 'long', month: 'long', day: 'numeric',
});

test('before sending: what the edge would promise, in the agent\'s time, asked for once; the receipt then gives the same dates', async (t) => {
  if (target.standIn) return t.skip('the dev stand-in has no business clock');
  const page = await openPortal(browser, target.url, { timezoneId: 'America/Los_Angeles' });
  const asked = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/promise') asked.push(r.method()); });
  const promised = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/promise');
  const line = host(page).getByText(/^If you send now/);
  await fill(page, { summary: '' });
  assert.deepEqual(asked, [], 'nothing is asked while the draft cannot be sent');
  await field(page, 'Summary of issue').fill(GOOD.summary);
  const promise = await (await promised).json();
  await line.waitFor();
  const text = await line.textContent();
  assert.match(text, /^If you send now: answer by .+\b(PST|PDT)\b, first update by .+\b(PST|PDT)\b\.$/);
  assert.ok(text.includes(laDay(promise.respond_by)), `${text} names ${promise.respond_by}`);
  assert.ok(text.includes(laDay(promise.next_follow_up)), `${text} names ${promise.next_follow_up}`);
  // Typing on within five minutes asks nothing more.
  await field(page, 'Summary of issue').fill(`${GOOD.summary} Still waiting.`);
  await field(page, 'Reference # (optional)').fill('REF-2');
  await send(page).click();
  await host(page).getByRole('heading', { name: 'Request sent' }).waitFor();
  if (promise.holds_for_s > 120) assert.deepEqual(asked, ['GET']); // else midnight (ET) came between
  // The receipt's dates lie between the promise before sending and one asked right after:
  // within the answer's hold, the same dates, later by at most the time passed.
  const afterwards = await (await fetch(`${target.url}/api/promise`)).json();
  const [respondBy, nextUpdate] = await host(page).locator('dd time').evaluateAll(
    (times) => times.slice(1).map((t) => Date.parse(t.getAttribute('datetime'))),
  );
  const between = (value, from, to) => Date.parse(from) <= value && value <= Date.parse(to);
  assert.ok(between(respondBy, promise.respond_by, afterwards.respond_by), 'respond-by as promised');
  assert.ok(between(nextUpdate, promise.next_follow_up, afterwards.next_follow_up), 'first update as promised');
  assert.ok(promise.holds_for_s >= 1, 'the answer says how long it holds');
  assert.deepEqual(page.problems, []);
});

test('before sending: the line goes when its dates stop holding, and the next change asks again', async () => {
  const page = await openPortal(browser, target.url, { timezoneId: 'America/New_York' });
  let asked = 0;
  await page.route('**/api/promise', (route) => {
    asked += 1;
    return route.fulfill({
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        received_at: '2026-11-19T23:59:58-05:00',
        respond_by: '2026-11-24T23:59:58-05:00',
        next_follow_up: '2026-11-26T23:59:58-05:00',
        holds_for_s: 3,
        ruleset: 'test',
      }),
    });
  });
  const line = host(page).getByText(/^If you send now/);
  await fill(page);
  await host(page).getByText(/If you send now: answer by Tuesday, November 24, 2026 at 11:59 PM EST/).waitFor();
  await line.waitFor({ state: 'detached', timeout: 10000 });
  await field(page, 'Reference # (optional)').fill('REF-3');
  await eventually(() => asked, 2, 'asked again after the hold ended');
  await line.waitFor();
  assert.deepEqual(page.problems, []);
});

test('before sending: without an answer from the edge the form shows no promise and sends as ever', async () => {
  const page = await openPortal(browser, target.url);
  let refused = 0;
  await page.route('**/api/promise', (route) => { refused += 1; return route.abort('connectionrefused'); });
  await fill(page);
  await eventually(() => refused, 1, 'the form asked once');
  await page.waitForTimeout(200); // the failed answer's callback has run
  assert.equal(await host(page).getByText(/If you send now/).count(), 0);
  await send(page).click();
  await host(page).getByRole('heading', { name: 'Request sent' }).waitFor();
  assert.deepEqual(page.problems, []);
});

test('errors show on blur and on submit, linked to their fields, and focus moves to the first', async () => {
  const page = await openPortal(browser, target.url);
  const memberId = field(page, 'Member ID #');
  await memberId.fill('ab');
  await expectAttr(memberId, 'aria-invalid', 'false', 'no error while typing the first time');
  await memberId.press('Tab');
  await expectAttr(memberId, 'aria-invalid', 'true');
  const describedBy = (await memberId.getAttribute('aria-describedby')).split(' ');
  const message = await host(page).locator(`[id="${describedBy[0]}"]`).textContent();
  assert.match(message, /Member ID/i, 'the rules crate message names the field');

  await send(page).click();
  await expectAttr(field(page, 'Plan'), 'aria-invalid', 'true');
  await eventually(() => field(page, 'Plan').evaluate((el) => el.getRootNode().activeElement === el), true, 'focus on the first problem');
  assert.match(await status(page).textContent(), /problems? to fix/);
  for (const label of ['Topic', 'Member first name', 'Member last name', 'Summary of issue']) {
    await expectAttr(field(page, label), 'aria-invalid', 'true', label);
  }
  await expectAttr(field(page, 'Reference # (optional)'), 'aria-invalid', 'false');
  await screenshot(page, 'errors');
  const before = (await mailbox(target.url)).length;
  assert.equal((await mailbox(target.url)).length, before, 'nothing was sent');

  await field(page, 'Member last name').fill('Smith, Jr');
  await expectAttr(field(page, 'Member last name'), 'aria-invalid', 'true', 'commas are refused');
  await fill(page);
  for (const label of ['Plan', 'Topic', 'Member ID #', 'Member first name', 'Member last name', 'Summary of issue']) {
    await expectAttr(field(page, label), 'aria-invalid', 'false', label);
  }
  assert.deepEqual(page.problems, []);
});

test('an out-of-scope topic shows guidance and contact instead of the send button', async () => {
  const page = await openPortal(browser, target.url);
  await recordEvents(page);
  await fill(page, { topic: 'commission' });
  const region = host(page).locator('.result.oos');
  await region.waitFor();
  assert.match(await region.textContent(), /AgentSupport@humana\.com/);
  await expectAttr(region.getByRole('link'), 'href', 'mailto:AgentSupport@humana.com');
  assert.equal(await send(page).count(), 0, 'nothing can be sent');
  const events = await page.evaluate(() => globalThis.rsosEvents);
  assert.equal(events.at(-1).name, 'rsos-out-of-scope');
  assert.equal(events.at(-1).detail.category, 'commission');
  await screenshot(page, 'out-of-scope-commission');

  await field(page, 'Topic').selectOption('claims');
  await send(page).waitFor();
  await field(page, 'Plan').selectOption('medicaid');
  await region.waitFor();
  assert.equal(await send(page).count(), 0);
  assert.equal((await page.evaluate(() => globalThis.rsosEvents)).at(-1).detail.category, 'medicaid');
  assert.deepEqual(page.problems, []);
});

test('urgent: a banner with the plan call-center number as a tel: link, and sending still allowed', async () => {
  const page = await openPortal(browser, target.url);
  await fill(page, { topic: 'access_to_care' });
  const banner = host(page).locator('.urgent');
  await banner.waitFor();
  await expectAttr(banner.getByRole('link'), 'href', 'tel:+18004574708');
  assert.equal(await send(page).isEnabled(), true);

  await field(page, 'Topic').selectOption('claims');
  await banner.waitFor({ state: 'detached' });
  await field(page, 'Plan').selectOption('individual');
  await field(page, 'Summary of issue').fill('The member is in the hospital and has no medication since the claim was denied yesterday.');
  await banner.waitFor();
  await expectAttr(banner.getByRole('link'), 'href', 'tel:+18008336917');
  await screenshot(page, 'urgent');
  const before = (await mailbox(target.url)).length;
  await send(page).click();
  await host(page).getByRole('heading', { name: 'Request sent' }).waitFor();
  assert.equal((await newMessages(before)).length, 2);
  assert.deepEqual(page.problems, []);
});

test('mixed lines of business: warning, confirmation required, split into two drafts sent separately', async () => {
  const page = await openPortal(browser, target.url);
  await fill(page, { summary: 'Medicare claim denied, and the member also has a HumanaOne plan with a billing problem.' });
  const mixed = host(page).locator('.mixed');
  await mixed.waitFor();
  assert.match(await mixed.textContent(), /HumanaOne/);
  await send(page).click();
  const confirm = field(page, 'This request is about one plan only.');
  await expectAttr(confirm, 'aria-invalid', 'true', 'confirmation_required on the checkbox');
  await screenshot(page, 'mixed');

  await host(page).getByRole('button', { name: /Split into two requests/ }).click();
  const tabs = host(page).locator('nav.drafts button');
  assert.equal(await tabs.count(), 2);
  assert.match(await tabs.nth(0).textContent(), /Medicare/);
  assert.match(await tabs.nth(1).textContent(), /Individual/);
  await tabs.nth(1).click();
  // No redundant entry (WCAG 3.3.7): everything typed is already in the second draft.
  assert.equal(await field(page, 'Member ID #').inputValue(), GOOD.memberId);
  assert.equal(await field(page, 'Plan').inputValue(), 'individual');
  await field(page, 'Summary of issue').fill('The member has a HumanaOne plan with a billing problem on the last premium.');
  await screenshot(page, 'split-second-draft');
  const before = (await mailbox(target.url)).length;
  await send(page).click();
  await host(page).getByRole('heading', { name: 'Request sent' }).waitFor();
  await host(page).getByRole('button', { name: 'Continue with the next request' }).click();
  assert.equal(await field(page, 'Plan').inputValue(), 'medicare');
  await field(page, 'Summary of issue').fill('Medicare claim for the March 3 visit was denied as out of network.');
  await send(page).click();
  await host(page).getByRole('heading', { name: 'Request sent' }).waitFor();
  const messages = await newMessages(before);
  assert.equal(messages.length, 4, 'two requests, two emails each');
  assert.ok(messages.some((m) => m.subject === 'Smith, John HumanaOne'));
  assert.ok(messages.some((m) => m.subject === 'Smith, John Medicare'));
  assert.deepEqual(page.problems, []);
});

test('network cut then 503: automatic retries with the same Idempotency-Key forward exactly once', async () => {
  const page = await openPortal(browser, target.url);
  const keys = [];
  let calls = 0;
  await page.route('**/api/requests', async (route) => {
    calls += 1;
    keys.push(route.request().headers()['idempotency-key']);
    if (calls === 1) return route.abort('internetdisconnected');
    if (calls === 2) return route.fulfill({ status: 503, headers: { 'Retry-After': '3', 'Content-Type': 'application/json' }, body: '{"error":"The mail service did not accept the request.","forwarded":false}' });
    return route.continue();
  });
  await fill(page);
  const before = (await mailbox(target.url)).length;
  await send(page).click();
  await host(page).getByText(/^No answer from the server\. Trying again at .+ \(attempt 2 of 5\)/).waitFor();
  // The server's wait is shown, with the moment of the next attempt.
  await host(page).getByText(/^The mail service asked us to wait 3 s\. Trying again at .+ \(attempt 3 of 5\); nothing is sent twice\.$/).waitFor();
  await host(page).getByRole('heading', { name: 'Request sent' }).waitFor({ timeout: 15000 });
  assert.equal(calls, 3);
  assert.equal(new Set(keys).size, 1, 'one key for the draft');
  assert.match(keys[0], /^[\x21-\x7e]{1,255}$/);
  const messages = await newMessages(before);
  assert.equal(messages.filter((m) => /AgentRSOS@/i.test(m.to)).length, 1, 'exactly one forward');

  // A retry of an already-forwarded request (lost answer) must not forward again.
  await page.unroute('**/api/requests');
  const page2 = await openPortal(browser, target.url);
  let posts = 0;
  await page2.route('**/api/requests', async (route) => {
    posts += 1;
    const response = await route.fetch();
    if (posts === 1) return route.abort('connectionreset'); // the server forwarded; the answer was lost
    return route.fulfill({ response });
  });
  await fill(page2, { memberId: 'H9999-0001' });
  const before2 = (await mailbox(target.url)).length;
  await send(page2).click();
  await host(page2).getByRole('heading', { name: 'Request sent' }).waitFor({ timeout: 15000 });
  const forwards = (await newMessages(before2)).filter((m) => /AgentRSOS@/i.test(m.to));
  assert.equal(forwards.length, 1, 'the idempotency key prevented a second forward');
  assert.deepEqual(page.problems, []);
});

test('a 503 after the forward reached the mailbox: the truth and the tracking ID, never "could not be sent"; the confirmation is retried with the same key', async () => {
  const page = await openPortal(browser, target.url);
  const trackingId = 'RSOS-20261130-ABCD2345';
  const delayed = {
    error: `Your request reached the mailbox (tracking ID ${trackingId}); only the confirmation email to you is delayed.`,
    tracking_id: trackingId, idempotency_key: 'as sent', sent: ['forward'], forwarded: true,
  };
  const keys = [];
  let failing = true;
  await page.route('**/api/requests', async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    if (failing) return route.fulfill({ status: 503, headers: { 'Retry-After': '1', 'Content-Type': 'application/json' }, body: JSON.stringify(delayed) });
    return route.continue();
  });
  await fill(page);
  const before = (await mailbox(target.url)).length;
  await send(page).click();
  await host(page).getByText(new RegExp(`^Your request reached the mailbox \\(tracking ID ${trackingId}\\); only the confirmation email is delayed\\. The mail service asked us to wait 1 s\\. Trying again at `)).waitFor();
  const heading = host(page).getByRole('heading', { name: 'Request reached the mailbox' });
  await heading.waitFor({ timeout: 15000 });
  assert.equal(keys.length, 5, 'five attempts, then the form stops');
  const text = await host(page).locator('.rsos-form').textContent();
  assert.match(text, new RegExp(`tracking ID ${trackingId}\\); only the confirmation email to you is delayed`));
  assert.doesNotMatch(text, /could not be sent/);
  assert.equal(await send(page).count(), 0, 'no invitation to send the request again');
  await eventually(() => heading.evaluate((h) => h.getRootNode().activeElement === h), true, 'focus on the result');
  await screenshot(page, 'confirmation-delayed');
  assert.deepEqual(await axeScan(page), [], 'the delayed-confirmation screen');

  failing = false;
  await host(page).getByRole('button', { name: 'Send the confirmation again' }).click();
  await host(page).getByRole('heading', { name: 'Request sent' }).waitFor();
  assert.equal(new Set(keys).size, 1, 'the same key throughout');
  assert.equal((await newMessages(before)).filter((m) => /AgentRSOS@/i.test(m.to)).length, 1, 'one forward');
  await host(page).getByRole('button', { name: 'Start a new request' }).click();
  assert.equal(await field(page, 'Member ID #').inputValue(), '', 'the sent draft is gone');
  assert.deepEqual(page.problems, []);
});

test('starting a new request after a delayed confirmation drops the forwarded draft', async () => {
  const page = await openPortal(browser, target.url);
  await page.route('**/api/requests', (route) => route.fulfill({
    status: 503,
    headers: { 'Retry-After': '200', 'Content-Type': 'application/json' },
    body: JSON.stringify({ error: 'delayed', tracking_id: 'RSOS-20261130-WXYZ2345', idempotency_key: 'k', sent: ['forward'], forwarded: true }),
  }));
  await fill(page);
  await send(page).click();
  // A wait beyond the form's own limit (120 s) ends the automatic attempts at once.
  await host(page).getByRole('heading', { name: 'Request reached the mailbox' }).waitFor();
  await host(page).getByRole('button', { name: 'Start a new request' }).click();
  assert.equal(await field(page, 'Member ID #').inputValue(), '', 'a fresh draft');
  await page.reload();
  await form(page).waitFor();
  assert.equal(await field(page, 'Member ID #').inputValue(), '', 'and not restored from storage');
  assert.deepEqual(page.problems, []);
});

test('a 503 the deployment\'s sweep finishes: recorded, never "could not be sent", no waiting; a new request drops the draft', async () => {
  const page = await openPortal(browser, target.url);
  const trackingId = 'RSOS-20261130-QRST2345';
  let posts = 0;
  await page.route('**/api/requests', (route) => {
    posts += 1;
    return route.fulfill({
      status: 503,
      headers: { 'Retry-After': '10', 'Content-Type': 'application/json' },
      body: JSON.stringify({ error: 'recorded', tracking_id: trackingId, idempotency_key: 'k', sent: [], forwarded: false, finishes_automatically: true }),
    });
  });
  await fill(page);
  await send(page).click();
  const heading = host(page).getByRole('heading', { name: 'Request recorded' });
  await heading.waitFor();
  assert.equal(posts, 1, 'no automatic retries: the sweep finishes it');
  const text = await host(page).locator('.rsos-form').textContent();
  assert.match(text, new RegExp(`recorded \\(tracking ID ${trackingId}\\) and will reach the mailbox automatically`));
  assert.doesNotMatch(text, /could not be sent/);
  assert.equal(await send(page).count(), 0, 'no invitation to send it again as a new request');
  assert.deepEqual(await axeScan(page), [], 'the recorded screen');
  await host(page).getByRole('button', { name: 'Start a new request' }).click();
  assert.equal(await field(page, 'Member ID #').inputValue(), '', 'the recorded draft is gone');
  assert.deepEqual(page.problems, []);
});

test('autofill in the hidden field: nothing is sent, the form clears it and says so, Send again forwards', async () => {
  const page = await openPortal(browser, target.url);
  await fill(page);
  const trap = host(page).locator('input[name="rsos_leave_empty"]');
  assert.equal(await trap.getAttribute('autocomplete'), 'off');
  assert.equal(await trap.getAttribute('tabindex'), '-1');
  for (const name of ['data-1p-ignore', 'data-lpignore', 'data-bwignore', 'data-form-type']) {
    assert.notEqual(await trap.getAttribute(name), null, `${name}: password managers skip it`);
  }
  assert.equal(await trap.evaluate((el) => el.closest('[aria-hidden="true"]') !== null), true, 'hidden from assistive technology');
  assert.equal(await trap.isVisible(), true, 'rendered (bots see it) but off screen:');
  assert.ok((await trap.boundingBox()).x < -1000);
  // As autofill does: the value set, input and change fired, on a field nobody sees.
  await trap.evaluate((input) => {
    input.value = 'Pat Agent';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
  const before = (await mailbox(target.url)).length;
  await send(page).click();
  await eventually(async () => /a hidden field that must stay empty was filled in/.test(await status(page).textContent()), true, 'the sentence is shown');
  assert.equal(await trap.inputValue(), '', 'the form cleared the field');
  assert.equal((await newMessages(before)).length, 0, 'nothing was sent');
  assert.equal(await field(page, 'Member ID #').inputValue(), GOOD.memberId, 'the draft is kept');
  await send(page).click();
  await host(page).getByRole('heading', { name: 'Request sent' }).waitFor();
  assert.equal((await newMessages(before)).length, 2, 'forwarded and acknowledged');
  assert.deepEqual(page.problems, []);
});

test('a server 422 is mapped back onto the fields', async () => {
  const page = await openPortal(browser, target.url);
  await page.route('**/api/requests', (route) => route.fulfill({
    status: 422,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ outcome: 'needs_changes', warnings: [], errors: [{ field: 'member_id', code: 'invalid_format', message: 'Member ID # is not known to the server: check it.' }] }),
  }));
  await fill(page);
  await send(page).click();
  const memberId = field(page, 'Member ID #');
  await host(page).getByText('Member ID # is not known to the server: check it.').waitFor();
  await expectAttr(memberId, 'aria-invalid', 'true');
  await eventually(() => memberId.evaluate((el) => el.getRootNode().activeElement === el), true);
  await memberId.fill('H1234-5679');
  await expectAttr(memberId, 'aria-invalid', 'false', 'editing the field clears the server error');
  assert.deepEqual(page.problems, []);
});

test('failed sending keeps the draft; a reload restores it from sessionStorage', async () => {
  const page = await openPortal(browser, target.url);
  await page.route('**/api/requests', (route) => route.abort('internetdisconnected'));
  await fill(page);
  await page.reload();
  await form(page).waitFor();
  assert.equal(await field(page, 'Member ID #').inputValue(), GOOD.memberId);
  assert.equal(await field(page, 'Summary of issue').inputValue(), GOOD.summary);
  assert.equal(await field(page, 'Plan').inputValue(), 'medicare');
  const stored = await page.evaluate(() => Object.keys(localStorage).length);
  assert.equal(stored, 0, 'nothing in localStorage');
  assert.deepEqual(page.problems, []);
});

test('stored drafts of another shape are dropped, and a 422 without its errors list says so: the form never sticks', async () => {
  const page = await openPortal(browser, target.url);
  await page.evaluate(() => sessionStorage.setItem('rsos-form:drafts:v1', '{"active":0,"drafts":null}'));
  await page.reload();
  await form(page).waitFor();
  assert.equal(await field(page, 'Member ID #').inputValue(), '', 'an empty draft, not a broken form');
  // A 422 from something in between (a gateway) names no fields.
  await page.route('**/api/requests', (route) => route.fulfill({
    status: 422, headers: { 'Content-Type': 'application/json' }, body: '{"error":"Unprocessable"}',
  }));
  await fill(page);
  await send(page).click();
  await host(page).getByText('The server asked for changes but named no field. Check the form and try again.').waitFor();
  assert.equal(await send(page).getAttribute('aria-disabled'), 'false', 'the agent can send again');
  assert.deepEqual(page.problems, []);
});

test('axe-core finds no violations: empty form, errors, warnings, confirmation', async () => {
  const page = await openPortal(browser, target.url);
  assert.deepEqual(await axeScan(page), [], 'empty form');
  await send(page).click();
  assert.deepEqual(await axeScan(page), [], 'with errors');
  await fill(page, { topic: 'access_to_care', summary: 'Urgent hospital stay; the member also has a HumanaOne plan and a commission question.' });
  assert.deepEqual(await axeScan(page), [], 'with urgent, mixed and out-of-scope hints');
  await field(page, 'This request is about one plan only.').check();
  await send(page).click();
  await host(page).getByRole('heading', { name: 'Request sent' }).waitFor();
  assert.deepEqual(await axeScan(page), [], 'confirmation');
});

test('keyboard only: tab through, choose, type and send', async () => {
  const page = await openPortal(browser, target.url);
  const kb = page.keyboard;
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  const focused = () => page.evaluate(() => {
    const el = document.querySelector('rsos-request-form').shadowRoot.activeElement;
    return el ? el.id || el.textContent : null;
  });
  await kb.press('Tab');
  assert.equal(await focused(), 'rsos-line_of_business');
  await kb.press('ArrowDown'); // Medicare
  await kb.press('Tab');
  assert.equal(await focused(), 'rsos-topic');
  await kb.press('ArrowDown'); // the first topic
  for (const id of ['rsos-agent_name', 'rsos-agent_san', 'rsos-agent_email']) {
    await kb.press('Tab');
    assert.equal(await focused(), id);
  }
  await kb.press('Tab');
  await kb.type(GOOD.memberId);
  await kb.press('Tab');
  await kb.type(GOOD.first);
  await kb.press('Tab');
  await kb.type(GOOD.last);
  await kb.press('Tab');
  await kb.press('Tab');
  assert.equal(await focused(), 'rsos-summary');
  await kb.type(GOOD.summary);
  await kb.press('Tab');
  assert.equal(await focused(), 'Send request');
  await kb.press('Enter');
  await host(page).getByRole('heading', { name: 'Request sent' }).waitFor();
  assert.deepEqual(page.problems, []);
});

test('embedding: CSP-safe load, application/wasm, hostile portal CSS kept out, 320 px wide', async () => {
  const context = await browser.newContext({ viewport: { width: 320, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (/Content Security Policy|error/i.test(m.text()) && !/favicon|Failed to load resource/.test(m.text())) problems.push(m.text()); });
  const wasm = page.waitForResponse((r) => r.url().endsWith('.wasm'));
  await page.goto(`${target.url}/`);
  assert.equal((await wasm).headers()['content-type'], 'application/wasm');
  await form(page).waitFor();
  assert.equal(await field(page, 'Member ID #').isVisible(), true, 'portal CSS hides inputs; the shadow root keeps them');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling at 320 px (overflow ${overflow}px)`);
  const box = await host(page).getByRole('button', { name: 'Send request' }).boundingBox();
  assert.ok(box.height >= 24 && box.width >= 24, 'target size (2.5.8)');
  await screenshot(page, 'narrow-320');
  assert.deepEqual(problems, []);
  await context.close();
});

test('custom element lifecycle: attribute changes re-render, removal unmounts, mount() works', async () => {
  const page = await openPortal(browser, target.url);
  await page.evaluate(() => document.querySelector('rsos-request-form').setAttribute('agent-name', 'Sam Broker'));
  await page.waitForFunction(() => document.querySelector('rsos-request-form').shadowRoot.querySelector('#rsos-agent_name').value === 'Sam Broker');
  await page.evaluate(() => document.querySelector('rsos-request-form').setAttribute('line-of-business', 'individual'));
  await page.waitForFunction(() => document.querySelector('rsos-request-form').shadowRoot.querySelector('#rsos-line_of_business').value === 'individual');
  await page.evaluate(() => document.querySelector('rsos-request-form').remove());
  await page.waitForFunction(() => !document.querySelector('rsos-request-form'));
  const mounted = await page.evaluate(async () => {
    const { mount } = await import('./rsos-form.js');
    const div = document.createElement('section');
    document.body.append(div);
    const handle = await mount(div, { agentName: 'Mo Unt', endpoint: '/api/requests' });
    const value = div.shadowRoot.querySelector('#rsos-agent_name').value;
    handle.unmount();
    return { value, after: div.shadowRoot.querySelector('form') === null };
  });
  assert.deepEqual(mounted, { value: 'Mo Unt', after: true });
  assert.deepEqual(page.problems, []);
});

test('a cross-origin portal embeds the form from the form host and submits through CORS', async () => {
  const http = await import('node:http');
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Other portal</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src ${target.url} 'wasm-unsafe-eval'; connect-src ${target.url}; style-src 'self'">
<script type="module" src="${target.url}/rsos-form.js"></script></head>
<body><main><h1>Other portal</h1><rsos-request-form endpoint="${target.url}/api/requests" agent-name="Pat Agent" agent-san="A12345" agent-email="pat.agent@agency.example"></rsos-request-form></main></body></html>`;
  const portal = http.createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }); res.end(page); });
  // A fixed port (RSOS_E2E_PORTAL_PORT) lets the real host list this origin in its
  // `allowed_origins`; the stand-in allows every origin.
  await new Promise((r) => portal.listen(Number(process.env.RSOS_E2E_PORTAL_PORT ?? 0), '127.0.0.1', r));
  try {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const problems = [];
    tab.on('pageerror', (e) => problems.push(e.message));
    tab.on('console', (m) => { if (m.type() === 'error' && !/favicon/.test(m.text())) problems.push(m.text()); });
    // `localhost` vs `127.0.0.1`: a different origin for the browser, the same machine.
    await tab.goto(`http://localhost:${portal.address().port}/`);
    await form(tab).waitFor();
    const before = (await mailbox(target.url)).length;
    await fill(tab, { memberId: 'X0000-0002' });
    await send(tab).click();
    await host(tab).getByRole('heading', { name: 'Request sent' }).waitFor();
    assert.equal((await newMessages(before)).length, 2);
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await new Promise((r) => portal.close(r));
  }
});

test('server refusals (409, 413, 429 beyond the wait limit) show the server sentence and keep the draft', async () => {
  const page = await openPortal(browser, target.url);
  await fill(page);
  const answers = [
    { status: 409, headers: { 'Content-Type': 'application/json' }, body: '{"error":"This Idempotency-Key was used for another request."}' },
    { status: 413, headers: { 'Content-Type': 'application/json' }, body: '{"error":"The request is larger than 64 KiB."}' },
    { status: 429, headers: { 'Content-Type': 'application/json', 'Retry-After': '3600' }, body: '{"error":"Too many requests."}' },
  ];
  const expected = [/another request/, /64 KiB/, /could not be sent/];
  for (const [i, answer] of answers.entries()) {
    await page.route('**/api/requests', (route) => route.fulfill(answer));
    await send(page).click();
    await eventually(async () => expected[i].test(await status(page).textContent()), true, `status after HTTP ${answer.status}`);
    await page.unroute('**/api/requests');
  }
  assert.equal(await field(page, 'Member ID #').inputValue(), GOOD.memberId, 'the draft is kept');
  assert.equal(await send(page).isEnabled(), true, 'the agent can try again');
  assert.deepEqual(page.problems, []);
});
