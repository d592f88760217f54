// The server's event stream (GET /api/v1/events/stream, the user's notifications). Each event is
// named by its notification kind, and EventSource hears only the names it listens for, so the
// kinds are listed here once.

// What changes a case's place in a work queue.
export const QUEUE_EVENTS = ['new_case', 'dispatched', 'returned', 'assist', 'rectify', 'overdue', 'escalated', 'approval',
  'replied', 'gap', 'urge', 'approve', 'deny', 'reopen', 'resume', 'cancel', 'redispatch', 'reject_return'];
// Everything a live feed shows.
export const ALL_EVENTS = [...QUEUE_EVENTS, 'comment', 'close'];

// Open the stream and call onEvent for each event of `kinds` (and unnamed ones); close() it
// when the screen goes.
export function eventStream(kinds, onEvent) {
  const es = new EventSource('/api/v1/events/stream');
  es.onmessage = onEvent;
  for (const k of kinds) es.addEventListener(k, onEvent);
  return es;
}
