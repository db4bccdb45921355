// An independent WebSocket echo client for cross-checking the harness's WebSocket loader: the `ws`
// package's client (not the loader's code), N clients each sending one message every 1/rate s on a
// fixed, staggered schedule (open loop), round trips measured from each message's scheduled send
// time, as the loader does, and from the moment the message was actually handed to the socket
// (Node's timers fire late by up to a few ms: from the scheduled time that lateness counts as
// latency, as it would in any open-loop client). Prints one JSON line: {sent, received, p50, p95,
// p99, sendP50, sendP95, sendP99} (ms; send*: from the actual send).
//
//   node harness/tools/ws-plain-client.mjs <ws-url> <clients> <ratePerClient> <durationS>
import { WebSocket } from 'ws';

const [url, clientsText, rateText, durationText] = process.argv.slice(2);
const clients = Number(clientsText);
const rate = Number(rateText);
const durationMs = Number(durationText) * 1000;
const intervalMs = 1000 / rate;
const TIMEOUT_MS = 5000;

const sockets = await Promise.all(
  Array.from({ length: clients }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })),
);

const rtts = [];
const fromSend = [];
let sent = 0;
let received = 0;
const start = performance.now() + 50;
const pending = sockets.map(() => new Map());
sockets.forEach((ws, i) => {
  ws.on('message', (data) => {
    const seq = Number(String(data).split(',')[1]);
    const entry = pending[i].get(seq);
    if (entry === undefined) return;
    pending[i].delete(seq);
    received++;
    const now = performance.now();
    rtts.push(now - entry.due);
    fromSend.push(now - entry.sentAt);
  });
  // Client i sends at start + offset_i + k * interval: the clients' sends are spread over one interval.
  const offset = (i / clients) * intervalMs;
  let k = 0;
  const tick = () => {
    const due = start + offset + k * intervalMs;
    if (due - start >= durationMs) return;
    const now = performance.now();
    if (now >= due) {
      pending[i].set(k, { due, sentAt: performance.now() });
      ws.send(`${i},${k},0,${'x'.repeat(20)}`);
      sent++;
      k++;
      return tick();
    }
    setTimeout(tick, Math.max(0, due - now - 1));
  };
  setTimeout(tick, Math.max(0, start + offset - performance.now()));
});

await new Promise((resolve) => setTimeout(resolve, start - performance.now() + durationMs + TIMEOUT_MS / 5));
// Unanswered messages count at the timeout, as the loader counts them.
for (const p of pending) {
  for (const { due, sentAt } of p.values()) {
    rtts.push(Math.max(TIMEOUT_MS, performance.now() - due));
    fromSend.push(Math.max(TIMEOUT_MS, performance.now() - sentAt));
  }
}
rtts.sort((a, b) => a - b);
fromSend.sort((a, b) => a - b);
const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : 0);
console.log(JSON.stringify({ sent, received, p50: pct(rtts, 50), p95: pct(rtts, 95), p99: pct(rtts, 99), sendP50: pct(fromSend, 50), sendP95: pct(fromSend, 95), sendP99: pct(fromSend, 99) }));
for (const ws of sockets) ws.terminate();
process.exit(0);
