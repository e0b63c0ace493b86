// DEV STAND-IN ONLY — not the product. A tiny server that serves dist/ and answers
// POST /api/requests plus GET /mailbox/api/messages in the shapes of SPEC §7 and the edge
// host's local mailbox, so the form's end-to-end tests can run before (or without) the real
// stack. It makes NO rules decisions of its own beyond a fixed happy path: it trusts the
// form, invents receipt times and builds a naive subject. The real end-to-end run targets
// the edge host: set RSOS_E2E_BASE_URL=http://127.0.0.1:8080 (see README.md here).
//
// Run by hand: node standin-server.mjs [port]   (serves $RSOS_DIST or ../../dist)
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const here = path.dirname(fileURLToPath(import.meta.url));

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Idempotency-Key, Authorization, X-RSOS-Trap',
  'Access-Control-Expose-Headers': 'Retry-After',
};

export async function startStandIn({ dist = process.env.RSOS_DIST || path.join(here, '../../dist'), port = 0 } = {}) {
  const mailbox = [];
  const idempotency = new Map(); // key -> { body, status, json }
  const stats = { posts: 0 };

  function send(res, status, json, extra = {}) {
    res.writeHead(status, { 'Content-Type': 'application/json', ...CORS, ...extra });
    res.end(JSON.stringify(json));
  }

  function receipt(request) {
    const now = new Date();
    const day = 24 * 3600 * 1000;
    const stamp = now.toISOString().slice(0, 10).replaceAll('-', '');
    const id = `RSOS-${stamp}-${randomBytes(4).toString('hex').toUpperCase()}`;
    const plan = request.line_of_business === 'medicare' ? 'Medicare' : 'HumanaOne';
    const subject = `${request.member_last_name.trim()}, ${request.member_first_name.trim()} ${plan}`;
    mailbox.push({
      to: 'AgentRSOS@humana.com', from: null, reply_to: request.agent_email, subject,
      text: `Agent Name: ${request.agent_name}\nTracking ID: ${id}`, headers: { 'X-RSOS-Kind': 'forward', 'X-RSOS-Tracking-ID': id }, via: 'standin',
    });
    mailbox.push({
      to: request.agent_email, from: 'AgentRSOS@humana.com', reply_to: null, subject: `Received: ${subject}`,
      text: `Thank you for using the Agent Retail Service Ops. Support mailbox.\nTracking ID: ${id}`, headers: { 'X-RSOS-Kind': 'acknowledgement', 'X-RSOS-Tracking-ID': id }, via: 'standin',
    });
    return {
      outcome: 'forwarded', tracking_id: id, subject,
      received_at: now.toISOString(),
      respond_by: new Date(now.getTime() + 3 * day).toISOString(),
      next_follow_up: new Date(now.getTime() + 5 * day).toISOString(),
      urgent: request.topic === 'access_to_care',
    };
  }

  async function onPost(req, res) {
    stats.posts += 1;
    if (!(req.headers['content-type'] || '').startsWith('application/json')) {
      return send(res, 415, { error: 'Send the request as application/json.' });
    }
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    let request;
    try { request = JSON.parse(body); } catch { return send(res, 400, { error: 'The body is not valid JSON.' }); }
    // As the edge does: the hidden field came filled (autofill or a bot), nothing is sent.
    if ((req.headers['x-rsos-trap'] || '').trim()) {
      return send(res, 400, { error: 'The request was not sent: a hidden field that must stay empty was filled in, which browser autofill sometimes does. It has been cleared; press Send request again.', trap: true });
    }
    const key = req.headers['idempotency-key'];
    if (key && idempotency.has(key)) {
      const first = idempotency.get(key);
      if (first.body !== body) return send(res, 409, { error: 'This Idempotency-Key was used for another request.' });
      return send(res, first.status, first.json);
    }
    const json = receipt(request);
    if (key) idempotency.set(key, { body, status: 202, json });
    send(res, 202, json);
  }

  async function onGet(req, res, pathname) {
    if (pathname === '/mailbox/api/messages') return send(res, 200, mailbox);
    if (pathname === '/__standin/stats') return send(res, 200, stats);
    const file = path.normalize(path.join(dist, pathname === '/' ? 'index.html' : decodeURIComponent(pathname)));
    if (!file.startsWith(path.normalize(dist))) return send(res, 404, { error: 'Not found.' });
    try {
      const data = await readFile(file);
      res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store', ...CORS });
      res.end(data);
    } catch {
      send(res, 404, { error: 'Not found.' });
    }
  }

  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'OPTIONS') { res.writeHead(204, CORS); return res.end(); }
    if (pathname === '/api/requests') {
      if (req.method !== 'POST') return send(res, 405, { error: 'Use POST.' }, { Allow: 'POST' });
      return onPost(req, res).catch(() => send(res, 500, { error: 'Stand-in failure.' }));
    }
    if (req.method === 'GET' || req.method === 'HEAD') return onGet(req, res, pathname);
    send(res, 405, { error: 'Method not allowed.' });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, mailbox, close: () => new Promise((resolve) => server.close(resolve)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startStandIn({ port: Number(process.argv[2] || 8080) });
  console.log(`DEV STAND-IN serving ${process.env.RSOS_DIST || path.join(here, '../../dist')} at ${url}`);
}
