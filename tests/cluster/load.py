"""
Continuous writers for the failover tests.

Each writer thread sends numbered requests one after another. A request has a client-side id
(`rid`) that goes into what is written, and it is retried under the same rid until it is
acknowledged: after a connection error, a timeout or a 5xx the client cannot know whether the
write happened, so a retry may store the request a second time (intake has no idempotency key:
see the report); the rid lets the check match every stored row to its request.

The time without service is the longest interval between two consecutive acknowledgements
(over all writers), measured around the fault.
"""
import threading
import time


class Load:
    def __init__(self, attempt, writers=4, tag="run"):
        """attempt(session_state, rid) -> ("ok", value) | ("retry", reason) | ("fail", reason);
        session_state is a per-writer dict the attempt may keep connections in."""
        self.attempt = attempt
        self.writers = writers
        self.tag = tag
        self.acked = {}          # rid -> value (e.g. the case id)
        self.ack_times = []      # monotonic time of every acknowledgement
        self.errors = {}         # reason -> count (retried)
        self.failures = []       # (rid, reason): answers that are neither success nor retryable
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = []

    def start(self):
        for w in range(self.writers):
            t = threading.Thread(target=self._run, args=(w,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def _run(self, w):
        state = {}
        seq = 0
        while not self.stop.is_set():
            seq += 1
            rid = f"{self.tag}-w{w}-{seq}"
            while not self.stop.is_set():
                kind, value = self.attempt(state, rid)
                if kind == "ok":
                    with self.lock:
                        self.acked[rid] = value
                        self.ack_times.append(time.monotonic())
                    break
                if kind == "fail":
                    with self.lock:
                        self.failures.append((rid, value))
                    break
                with self.lock:
                    self.errors[value] = self.errors.get(value, 0) + 1
                time.sleep(0.05)

    def count(self):
        with self.lock:
            return len(self.ack_times)

    def wait_for_acks(self, n, timeout):
        deadline = time.monotonic() + timeout
        while self.count() < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.count() >= n

    def wait_recovered(self, since, steady=3.0, timeout=60):
        """After the fault at `since`: wait until writes have been acknowledged for `steady`
        seconds in a row after the first post-fault acknowledgement (or give up at timeout)."""
        deadline = since + timeout
        while time.monotonic() < deadline:
            with self.lock:
                after = [t for t in self.ack_times if t > since]
            if after and after[-1] - after[0] >= steady and time.monotonic() - after[-1] < 0.5:
                return True
            time.sleep(0.1)
        return False

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in self.threads), "a writer is stuck in a request"

    def gap(self, since):
        """Longest interval between consecutive acknowledgements from 1 s before `since` on,
        and when it started relative to `since`."""
        ts = sorted(self.ack_times)
        ts = [t for t in ts if t >= since - 1.0]
        best = (0.0, 0.0)
        for a, b in zip(ts, ts[1:]):
            if b - a > best[0]:
                best = (b - a, a - since)
        return round(best[0], 2), round(best[1], 2)
