"""A real Kannel 1.4.5 (Debian's kannel + kannel-extras) for the SMS tests: bearerbox, the fake
SMSC (fakesmsc, which prints every message it receives) and smsbox with its sendsms interface,
all on random loopback ports in their own directory. Start order and readiness checks follow
/work/shared/reference components.md section 4: fakesmsc dies if bearerbox does not listen yet."""
import os
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request

from conftest import free_port

FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
USER, PASSWORD = "tester", "foobar"
ADMIN_PASSWORD = "adminpw"


class Kannel:
    def __init__(self, workdir):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.procs = []
        self._pick_ports()

    def _pick_ports(self):
        self.admin, self.smsbox_port, self.fake_port, self.http = (free_port() for _ in range(4))

    @property
    def sendsms_url(self):
        return f"http://127.0.0.1:{self.http}/cgi-bin/sendsms"

    def _status(self):
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.admin}/status.txt?password={ADMIN_PASSWORD}",
                    timeout=2) as r:
                return r.read().decode("utf-8", "replace")
        except OSError:
            return None

    def _wait(self, pred, what, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self._status()
            if s is not None and pred(s):
                return
            for p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError(f"kannel: {p.args[0]} exited while waiting for {what}: "
                                       + self.logs())
            time.sleep(0.05)
        raise RuntimeError(f"kannel: no {what} after {timeout} s: " + self.logs())

    def _spawn(self, cmd, log):
        with open(os.path.join(self.dir, log), "ab") as f:
            p = subprocess.Popen(cmd, stdout=f, stderr=f, cwd=self.dir)
        self.procs.append(p)
        return p

    def start(self, attempts=4):
        """A port probed free can be taken before a box binds it (another test's server, or an
        outgoing connection's local port: both come from the ephemeral range), and the box then
        exits with 'Address already in use'. Then everything stops and starts again on new
        ports; any other failure is raised at once."""
        for attempt in range(attempts):
            try:
                return self._start_once()
            except RuntimeError:
                lost_port = "Address already in use" in self.logs()
                self.stop()
                if not lost_port or attempt == attempts - 1:
                    raise
                for name in ("bearerbox.out", "smsbox.out", "fakesmsc.log"):
                    path = os.path.join(self.dir, name)
                    if os.path.exists(path):
                        os.replace(path, path + f".try{attempt}")
                self._pick_ports()

    def _start_once(self):
        t = self.dir
        conf = os.path.join(t, "kannel.conf")
        with open(conf, "w") as f:
            f.write(f"""group = core
admin-port = {self.admin}
admin-interface = 127.0.0.1
admin-password = {ADMIN_PASSWORD}
admin-allow-ip = 127.0.0.1
smsbox-port = {self.smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{t}/bearerbox.log"
log-level = 0
access-log = "{t}/access.log"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake1
port = {self.fake_port}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = {self.http}
sendsms-interface = 127.0.0.1
log-file = "{t}/smsbox.log"
log-level = 0

group = sendsms-user
username = {USER}
password = {PASSWORD}
max-messages = 10
concatenation = true

group = sms-service
keyword = default
text = "no service"
""")
        self._spawn(["bearerbox", "-v", "0", conf], "bearerbox.out")
        self._wait(lambda s: True, "bearerbox admin")
        # -m 0: send nothing, only receive (it still wants one message argument).
        self._spawn([FAKESMSC, "-H", "127.0.0.1", "-r", str(self.fake_port), "-m", "0",
                     "100 200 text unused"], "fakesmsc.log")
        self._wait(lambda s: re.search(r"fake1.*online", s), "fake SMSC online")
        self._spawn(["smsbox", "-v", "0", conf], "smsbox.out")
        self._wait(lambda s: re.search(r"smsbox:.*on-line", s), "smsbox on-line")
        return self

    def logs(self):
        out = []
        for name in ("bearerbox.out", "smsbox.out", "fakesmsc.log"):
            p = os.path.join(self.dir, name)
            if os.path.exists(p):
                out.append(f"--- {name}\n" + open(p, errors="replace").read()[-1500:])
        return "\n".join(out)

    def received(self):
        """What the fake SMSC got, in order: dicts from, to, text. fakesmsc prints the data
        URL-encoded; with coding=2 it is UTF-16BE with byte 0x20 written as '+'."""
        p = os.path.join(self.dir, "fakesmsc.log")
        if not os.path.exists(p):
            return []
        msgs = []
        for line in open(p, encoding="utf-8", errors="replace"):
            m = re.search(r"Got message \d+: <(\S+) (\S+) (\S+) (.*)>\s*$", line)
            if not m:
                continue
            frm, to, kind, data = m.groups()
            raw = urllib.parse.unquote_to_bytes(data.replace("+", "%20"))
            if kind == "ucs-2":
                text = raw.decode("utf-16-be")
            else:
                text = raw.decode("latin-1")
            msgs.append({"from": frm, "to": to, "coding": kind, "text": text})
        return msgs

    def stop(self):
        # bearerbox first: smsbox and fakesmsc exit by themselves when it goes.
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []
