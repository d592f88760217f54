// The server's event stream (GET /api/v1/events/stream, the user's notifications). Each event is
// named by its notification kind, and EventSource hears only the names it listens for, so the
// kinds are listed here once.

// What changes a case's place in a work queue.
export const QUEUE_EVENTS = ['new_case', 'dispatched', 'returned', 'assist', 'rectify', 'overdue', 'escalated', 'approval',
  'replied', 'gap', 'urge', 'approve', 'deny', 'reopen', 'resume', 'cancel', 'redispatch', 'reject_return',
  'review', 'sent_back'];
// Everything a live feed shows.
export const ALL_EVENTS = [...QUEUE_EVENTS, 'comment', 'close'];

// How long to wait before opening a refused stream again: doubles from MIN to MAX, with jitter.
const RETRY_MIN_MS = 5000;
const RETRY_MAX_MS = 300000;

// Open the stream and call onEvent for each event of `kinds` (and unnamed ones); close() it
// when the screen goes. The returned handle has close() and settable onopen / onerror.
//
// The stream ends now and then by design (the server's stream_max_life, a session that ended):
// EventSource then reconnects by itself after the server's `retry:` hint. When the server
// refuses a stream (429: this user or address has too many open, 503: the server's stream
// budget is spent, 401: the session is gone), EventSource gives up for good (readyState
// CLOSED) without telling which; this opens it again after a growing, jittered delay, so
// many tabs refused together do not come back together, and the screen keeps working from
// its own reloads meanwhile.
//
// `recent`: open with the latest notifications in the user's scope (at most 50), so a live feed
// does not start empty; reconnections replay from the last one seen instead.
export function eventStream(kinds, onEvent, { recent = 0 } = {}) {
  let es = null;
  let timer = null;
  let closed = false;
  let delay = 0;
  let lastId = '';
  // A new EventSource does not send Last-Event-ID: the query parameter asks for the replay of
  // what was missed while refused, as the browser's own reconnection does with the header.
  const seen = (ev) => { if (ev.lastEventId) lastId = ev.lastEventId; onEvent(ev); };
  const handle = {
    onopen: null,
    onerror: null,
    close() {
      closed = true;
      clearTimeout(timer);
      if (es) es.close();
    },
  };
  const open = () => {
    if (closed) return;
    const q = lastId ? '?last_event_id=' + encodeURIComponent(lastId) : recent ? '?recent=' + recent : '';
    es = new EventSource('/api/v1/events/stream' + q);
    es.onmessage = seen;
    for (const k of kinds) es.addEventListener(k, seen);
    es.onopen = (ev) => { delay = 0; if (handle.onopen) handle.onopen(ev); };
    es.onerror = (ev) => {
      if (handle.onerror) handle.onerror(ev);
      if (closed || es.readyState !== EventSource.CLOSED) return; // the browser retries itself
      es.close();
      delay = Math.min(RETRY_MAX_MS, delay ? delay * 2 : RETRY_MIN_MS);
      timer = setTimeout(open, delay / 2 + Math.random() * (delay / 2));
    };
  };
  open();
  return handle;
}
