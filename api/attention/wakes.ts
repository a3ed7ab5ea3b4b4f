// Feed streams are woken in chunks, one chunk per turn of the event loop, rather than all at once
// when a change is committed: between chunks, requests already waiting (a tool polling the feed,
// an agent's report) are answered, instead of queuing behind the delivery to every page. A stream
// woken late takes every change that arrived meanwhile at once (its socket sends them in one write).
const WAKES_PER_TURN = 32;

const waiting = new Set<() => void>();
let scheduled = false;

function wakeChunk() {
  let woken = 0;
  for (const wake of waiting) {
    waiting.delete(wake);
    wake();
    if (++woken === WAKES_PER_TURN) break;
  }
  scheduled = waiting.size > 0;
  if (scheduled) setImmediate(wakeChunk);
}

/** Calls `wake` in a coming turn (once, however often it is asked before then). */
export function wakeSoon(wake: () => void): void {
  waiting.add(wake);
  if (!scheduled) {
    scheduled = true;
    setImmediate(wakeChunk);
  }
}
