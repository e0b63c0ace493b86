// The RSOS request form rebuilt with React + react-hook-form + zod, only to compare the
// bytes a portal downloads with the Rust/WASM form (`web/`). Same fields, same labels, the
// same rules as far as zod can express them (lengths, character sets, email, options,
// subject preview, out-of-scope guidance, urgency and mixed-lines warnings from word
// lists), the same submit with an Idempotency-Key and retries. Not shipped anywhere.
import React, { useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
// The namespace import zod 4 documents; it lets the bundler drop the unused locales.
import * as z from 'zod';

const PLANS = [
  { code: 'medicare', label: 'Medicare', subject: 'Medicare', call: '1-800-457-4708' },
  { code: 'individual', label: 'Individual (HumanaOne)', subject: 'HumanaOne', call: '1-800-833-6917' },
  { code: 'medicaid', label: 'Medicaid', oos: 'medicaid' },
  { code: 'other', label: 'Another plan (not Medicare or HumanaOne)', oos: 'other_plan' },
];
const TOPICS = [
  ['claims', 'Claims'], ['billing_premium', 'Billing and premium'], ['enrollment_eligibility', 'Enrollment and eligibility'],
  ['id_cards_materials', 'ID cards and materials'], ['pharmacy', 'Pharmacy'], ['providers_network', 'Providers and network'],
  ['access_to_care', 'Access to care (urgent)'], ['other_service', 'Other service issue'],
  ['commission', 'Commission'], ['aor', 'Agent of record (AOR)'], ['spaa', 'SPAA'],
];
const GUIDANCE = {
  commission: ['AgentSupport@humana.com', 'Commission questions are not handled by the Agent Retail Service Ops. Support mailbox. Please send them to Agent Support at AgentSupport@humana.com.'],
  aor: ['AgentSupport@humana.com', 'AOR clarification, status checks and changes are not handled by the Agent Retail Service Ops. Support mailbox. Please send them to Agent Support at AgentSupport@humana.com.'],
  spaa: [null, 'SPAA issues are not handled by the Agent Retail Service Ops. Support mailbox. Please raise them through your usual SPAA channel or ask your agency manager where they go.'],
  medicaid: [null, "Medicaid issues are not handled by the Agent Retail Service Ops. Support mailbox, which serves Medicare and Individual (HumanaOne) members only. Please contact the member's Medicaid plan or state Medicaid office."],
  other_plan: [null, "The Agent Retail Service Ops. Support mailbox serves Medicare and Individual (HumanaOne) members only. Please contact the support channel of the member's plan."],
};
const URGENT = /\b(emergency|emergency room|er visit|urgent|urgently|hospital|hospitali[sz]ed|inpatient|surgery|chemo|chemotherapy|dialysis|transplant|no medications?|out of medication|without medication|without insulin|no insulin|life[- ]threatening|immediately|asap|critical)\b/i;
const NAMES = {
  medicare: /\b(medicare|medicare advantage|mapd|ma-pd|part d|part c|pdp)\b/i,
  individual: /\b(humanaone|humana one|individual plan|individual policy|individual coverage|aca plan|marketplace plan)\b/i,
};
const HINTS = /\b(commissions?|commissioned|comp check|compensation|agent of record|aor|broker of record|bor change|spaa|medicaid)\b/i;

const line = (label, min, max, re, what) => z.string().trim().transform((s) => s.replace(/\s+/g, ' '))
  .pipe(z.string().min(1, `${label} is required.`).regex(re, `${label} may contain only ${what}.`)
    .min(min, `${label} must be at least ${min} characters.`).max(max, `${label} must be at most ${max} characters.`));
const name = (label) => line(label, 1, 60, /^[\p{L}\p{M} .'-]*$/u, "letters, spaces, - ' and .");

const schema = z.object({
  line_of_business: z.enum(['medicare', 'individual', 'medicaid', 'other'], { message: 'Choose the plan.' }),
  topic: z.enum(TOPICS.map((t) => t[0]), { message: 'Choose the topic.' }),
  agent_name: line('Agent Name', 1, 100, /^[^\p{Cc}\u202a-\u202e\u2066-\u2069]*$/u, 'printable characters'),
  agent_san: line('Agent SAN', 1, 20, /^[A-Za-z0-9]*$/, 'letters and digits'),
  agent_email: z.string().trim().min(1, 'Agent email is required.').max(254).email('Enter a valid email address.'),
  member_id: line('Member ID #', 3, 30, /^[A-Za-z0-9-]*$/, 'letters, digits and -')
    .refine((s) => !s.startsWith('-') && !s.endsWith('-'), 'Member ID # cannot start or end with -.'),
  member_first_name: name('Member first name'),
  member_last_name: name('Member last name'),
  reference_number: z.string().trim().max(40).regex(/^[A-Za-z0-9-]*$/, 'Reference # may contain only letters, digits and -.'),
  summary: z.string().trim().min(20, 'Summary of issue must be at least 20 characters.').max(4000)
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$/, 'Summary of issue contains a control character.'),
  confirm_single_line_of_business: z.boolean(),
}).superRefine((v, ctx) => {
  const other = v.line_of_business === 'medicare' ? NAMES.individual : v.line_of_business === 'individual' ? NAMES.medicare : null;
  if (other && other.test(v.summary) && !v.confirm_single_line_of_business) {
    ctx.addIssue({ code: 'custom', path: ['confirm_single_line_of_business'], message: 'Confirm that this request is about one plan only, or split it into two requests.' });
  }
});

const FIELDS = [
  ['agent_name', 'Agent Name', 'name'], ['agent_san', 'Agent SAN', 'off'], ['agent_email', 'Agent email', 'email'],
  ['member_id', 'Member ID #', 'off'], ['member_first_name', 'Member first name', 'off'],
  ['member_last_name', 'Member last name', 'off'], ['reference_number', 'Reference # (optional)', 'off'],
];

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

function Field({ id, label, error, children }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {error && <p className="error" id={`${id}-error`}>{error.message}</p>}
      {children}
    </div>
  );
}

function RequestForm({ endpoint, defaults }) {
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [status, setStatus] = useState('');
  const [receipt, setReceipt] = useState(null);
  const { register, handleSubmit, watch, setError, reset, formState: { errors, isSubmitting } } = useForm({
    resolver: zodResolver(schema), mode: 'onTouched',
    defaultValues: { line_of_business: '', topic: '', reference_number: '', summary: '', confirm_single_line_of_business: false, ...defaults },
  });
  const v = watch();
  const plan = PLANS.find((p) => p.code === v.line_of_business);
  const oos = plan?.oos ?? (['commission', 'aor', 'spaa'].includes(v.topic) ? v.topic : null);
  const urgent = v.topic === 'access_to_care' || URGENT.test(v.summary ?? '');
  const mixedRe = v.line_of_business === 'medicare' ? NAMES.individual : v.line_of_business === 'individual' ? NAMES.medicare : null;
  const mixed = mixedRe?.test(v.summary ?? '');
  const hint = !oos && HINTS.exec(v.summary ?? '');
  const subject = useMemo(() => {
    const names = [v.member_last_name, v.member_first_name].map((s) => (s ?? '').trim().replace(/\s+/g, ' '));
    return plan?.subject && names.every(Boolean) ? `${names[0]}, ${names[1]} ${plan.subject}` : null;
  }, [v.member_last_name, v.member_first_name, plan]);

  async function onSubmit(data) {
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      setStatus(attempt === 1 ? 'Sending your request…' : `Sending your request (attempt ${attempt} of 5)…`);
      try {
        const response = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key }, body: JSON.stringify(data) });
        const body = await response.json().catch(() => null);
        if (response.status === 202) { setReceipt(body); setStatus(`Request sent. Tracking ID ${body.tracking_id}.`); sessionStorage.removeItem('draft'); return; }
        if (response.status === 422) { for (const e of body.errors) setError(e.field, { message: e.message }, { shouldFocus: true }); setStatus(''); return; }
        if (response.status !== 503 && response.status !== 429) { setStatus(body?.error ?? `HTTP ${response.status}`); return; }
        await wait(Number(response.headers.get('Retry-After') ?? 2 ** (attempt - 1)) * 1000);
      } catch {
        await wait(2 ** (attempt - 1) * 1000);
      }
    }
    setStatus('The request could not be sent. Your draft is kept; try again in a moment.');
  }

  const fmt = (s) => new Date(s).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
  if (receipt) {
    return (
      <section>
        <h2 tabIndex={-1}>Request sent</h2>
        <dl>
          <dt>Tracking ID</dt><dd>{receipt.tracking_id}</dd>
          <dt>Response by</dt><dd>{fmt(receipt.respond_by)}</dd>
          <dt>Next update by</dt><dd>{fmt(receipt.next_follow_up)}</dd>
        </dl>
        <button type="button" onClick={() => { setReceipt(null); setKey(crypto.randomUUID()); reset(); }}>Start a new request</button>
      </section>
    );
  }
  return (
    <form noValidate onSubmit={handleSubmit(onSubmit)}>
      <div role="status" aria-live="polite">{status}</div>
      {urgent && <section className="urgent"><h3>Urgent: call it in first</h3>{plan?.call && <a href={`tel:${plan.call}`}>call {plan.call}</a>}</section>}
      <Field id="line_of_business" label="Plan" error={errors.line_of_business}>
        <select id="line_of_business" aria-invalid={!!errors.line_of_business} {...register('line_of_business')}>
          <option value="">Choose…</option>{PLANS.map((p) => <option key={p.code} value={p.code}>{p.label}</option>)}
        </select>
      </Field>
      <Field id="topic" label="Topic" error={errors.topic}>
        <select id="topic" aria-invalid={!!errors.topic} {...register('topic')}>
          <option value="">Choose…</option>{TOPICS.map(([c, l]) => <option key={c} value={c}>{l}</option>)}
        </select>
      </Field>
      {FIELDS.map(([id, label, ac]) => (
        <Field key={id} id={id} label={label} error={errors[id]}>
          <input id={id} autoComplete={ac} aria-invalid={!!errors[id]} aria-describedby={errors[id] ? `${id}-error` : undefined} {...register(id)} />
        </Field>
      ))}
      <Field id="summary" label="Summary of issue" error={errors.summary}>
        <textarea id="summary" rows={6} aria-invalid={!!errors.summary} {...register('summary')} />
      </Field>
      {hint && <p className="note">The summary mentions "{hint[0]}". If that is the question, it does not belong here.</p>}
      {mixed && (
        <section className="mixed">
          <p>Medicare and Individual concerns in one request delay the response.</p>
          <input type="checkbox" id="confirm" {...register('confirm_single_line_of_business')} />
          <label htmlFor="confirm">This request is about one plan only</label>
          {errors.confirm_single_line_of_business && <p className="error">{errors.confirm_single_line_of_business.message}</p>}
        </section>
      )}
      <p>Subject line: <output>{subject ?? 'Appears once the plan and the member names are filled in.'}</output></p>
      {oos ? (
        <section><p>{GUIDANCE[oos][1]}</p>{GUIDANCE[oos][0] && <a href={`mailto:${GUIDANCE[oos][0]}`}>{GUIDANCE[oos][0]}</a>}</section>
      ) : (
        <button type="submit" disabled={isSubmitting}>{isSubmitting ? 'Sending…' : 'Send request'}</button>
      )}
    </form>
  );
}

class RsosRequestForm extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: 'open' });
    const mountPoint = document.createElement('div');
    root.append(mountPoint);
    this.root = createRoot(mountPoint);
    this.root.render(<RequestForm endpoint={this.getAttribute('endpoint') ?? '/api/requests'}
      defaults={{ agent_name: this.getAttribute('agent-name') ?? '', agent_san: this.getAttribute('agent-san') ?? '', agent_email: this.getAttribute('agent-email') ?? '' }} />);
  }
  disconnectedCallback() { this.root?.unmount(); }
}
customElements.define('rsos-request-form', RsosRequestForm);
