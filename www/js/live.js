// live.js - follow a server-sent event stream, or poll when there is none.
//
// The stream is read with fetch() rather than EventSource because
// EventSource cannot send an Authorization header, and cannot tell a 404
// (no such endpoint on this anasd: poll instead) from a dropped connection.
// The framing is the WHATWG HTML standard's "event stream interpretation"
// (https://html.spec.whatwg.org/multipage/server-sent-events.html): lines
// "field: value", an empty line dispatches, "id" is remembered and sent back
// as Last-Event-ID when reconnecting.

import { get, headers } from './api.js';

const POLL_MS = 2000;
const RETRY_MS = 3000;

// The API's own contract says whether this anasd streams events: asking it
// once spares a request that would 404 (and log an error) on every page.
let contract = null;
function streams(template) {
  contract ||= get('/api/v1/openapi.json').catch(() => ({ paths: {} }));
  return contract.then((c) => Boolean(c?.paths?.[template]));
}

// follow(path, template, {onEvent(type, data, id), onPoll()}) → stop().
// template is the path as the OpenAPI contract writes it. onPoll runs every
// 2 s when anasd has no such stream (or it failed), and once on start.
export function follow(path, template, { onEvent, onPoll }) {
  let stopped = false;
  let timer = null;
  let lastId = null;
  const ctl = new AbortController();

  const poll = async () => {
    if (stopped) return;
    try { await onPoll(); } catch { /* the banner says why */ }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  };

  const stream = async () => {
    let res;
    try {
      const h = headers({ Accept: 'text/event-stream' });
      if (lastId !== null) h['Last-Event-ID'] = lastId;
      res = await fetch(path, { headers: h, signal: ctl.signal });
    } catch {
      if (!stopped) timer = setTimeout(stream, RETRY_MS);
      return;
    }
    const type = res.headers.get('Content-Type') || '';
    if (!res.ok || !type.startsWith('text/event-stream')) {
      res.body?.cancel().catch(() => {});
      if (res.status === 503) { timer = setTimeout(stream, RETRY_MS); return; }
      poll(); // 404 before the events endpoint exists, or anything else
      return;
    }
    try { await onPoll(); } catch { /* initial state: the banner says why */ }
    try {
      await read(res.body, (ev, data, id) => {
        if (id !== null) lastId = id;
        onEvent(ev, data, id);
      });
    } catch { /* aborted or dropped */ }
    if (!stopped) timer = setTimeout(stream, RETRY_MS);
  };

  streams(template).then((yes) => {
    if (!stopped) (yes ? stream : poll)();
  });
  return () => {
    stopped = true;
    clearTimeout(timer);
    ctl.abort();
  };
}

async function read(body, dispatch) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let ev = '', data = [], id = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let nl;
    while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1));
      if (line === '') {
        if (data.length) {
          let parsed = data.join('\n');
          try { parsed = JSON.parse(parsed); } catch { /* plain text */ }
          dispatch(ev || 'message', parsed, id);
        }
        ev = ''; data = []; id = null;
        continue;
      }
      if (line[0] === ':') continue; // a comment: the heartbeat
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      let v = c < 0 ? '' : line.slice(c + 1);
      if (v[0] === ' ') v = v.slice(1);
      if (field === 'event') ev = v;
      else if (field === 'data') data.push(v);
      else if (field === 'id') id = v;
    }
  }
}
