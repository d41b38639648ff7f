#!/usr/bin/python3
"""extatusd with real processes: start the daemon on a temporary socket
and a free port, start pingers (Debian's systemd-notify, the example
notify_ping, and processes of this test), act on them with signals, and
read /metrics (parsed with prometheus_client), /events and a real
Prometheus.

Usage: extatusd_test.py SCENARIO EXTATUSD NOTIFY_PING
Scenarios: states, exits, expected, restart, systemd_notify, events,
bad_input, flood, many, prometheus.
Environment: PROMETHEUS (default: prometheus from PATH); EXTATUSD_WRAPPER: a
command line that runs the daemon (valgrind), whose exit status must be 0."""

import array
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import waiting  # noqa: E402
from waiting import fail, wait_for  # noqa: E402

SCENARIO, EXTATUSD, NOTIFY_PING = sys.argv[1], sys.argv[2], sys.argv[3]
# The daemon's timeout (ms): a ping interval short enough for a quick test,
# long enough for a loaded 2-core machine not to miss pings.
TIMEOUT_MS = 500
children = []


waiting.test_name = f"extatusd_{SCENARIO}"


class Daemon:
    def __init__(self, *flags):
        self.dir = tempfile.mkdtemp(prefix="extatusd-test.")
        self.socket = os.path.join(self.dir, "notify.sock")
        self.log = open(os.path.join(self.dir, "daemon.log"), "w+")
        wrapper = os.environ.get("EXTATUSD_WRAPPER", "").split()
        self.process = subprocess.Popen(
            [*wrapper, EXTATUSD, f"--socket={self.socket}", "--port=0", f"--timeout={TIMEOUT_MS}", *flags],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        if "serving port" not in line:
            self.log.seek(0)
            fail(f"the daemon did not start: {line!r} {self.log.read()}")
        self.port = int(line.rsplit(" ", 1)[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, NOTIFY_SOCKET=self.socket)

    def get(self, path, timeout=10):
        with urllib.request.urlopen(self.base + path, timeout=timeout) as answer:
            return answer.read().decode()

    def metrics(self):
        """{(name, frozenset(labels)): value} of every sample."""
        samples = {}
        for family in text_string_to_metric_families(self.get("/metrics")):
            for sample in family.samples:
                samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return samples

    def value(self, metric, **labels):
        return self.metrics().get((metric, frozenset(labels.items())))

    def activity(self, process):
        return self.value("extatus_process_activity", name=process)

    def exits(self, process, reason):
        return self.value("extatus_process_exits_total", name=process, reason=reason)

    def dropped(self, reason):
        return self.value("extatusd_datagrams_dropped_total", reason=reason)

    def send(self, payload, fds=None):
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            if fds:
                s.sendmsg([payload], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                       array.array("i", fds))], 0, self.socket)
            else:
                s.sendto(payload, self.socket)

    def log_text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self):
        """SIGTERM: the daemon must end in bounded time with status 0."""
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            fail("the daemon did not stop within 60 s of SIGTERM")
        if status != 0:
            fail(f"the daemon exited with {status}: {self.log_text()}")
        if os.path.exists(self.socket):
            fail("the socket was not removed at exit")
        shutil.rmtree(self.dir, ignore_errors=True)


def ping(daemon, name, *flags):
    child = subprocess.Popen([NOTIFY_PING, f"--name={name}", f"--interval={TIMEOUT_MS}", *flags],
                             env=daemon.env)
    children.append(child)
    return child


def cleanup():
    for child in children:
        if child.poll() is None:
            child.kill()
            child.wait()


def scenario_states(d):
    """up while pinging, idle when stopped (within two intervals), up again, down on KILL."""
    child = ping(d, "alpha")
    wait_for("alpha up", lambda: d.activity("alpha") == 2, 5)
    time.sleep(2 * TIMEOUT_MS / 1000)
    if d.activity("alpha") != 2:
        fail("alpha left up while it pinged")
    child.send_signal(signal.SIGSTOP)
    stopped = time.monotonic()
    wait_for("alpha idle after SIGSTOP", lambda: d.activity("alpha") == 1, 10)
    took = time.monotonic() - stopped
    # Two intervals, plus room for a loaded machine and the scrape itself.
    if took > 2 * TIMEOUT_MS / 1000 + 1.0:
        fail(f"alpha became idle {took:.2f} s after SIGSTOP (interval {TIMEOUT_MS} ms)")
    child.send_signal(signal.SIGCONT)
    wait_for("alpha up after SIGCONT", lambda: d.activity("alpha") == 2, 5)
    child.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    wait_for("alpha down after SIGKILL", lambda: d.activity("alpha") == 0, 5)
    if time.monotonic() - killed > 1.5:
        fail("alpha went down later than at once after SIGKILL")
    if d.exits("alpha", "signal") != 1:
        fail(f"exits{{reason=signal}} is {d.exits('alpha', 'signal')}")
    child.wait()
    if "'alpha'" not in d.log_text() or "SIGKILL" not in d.log_text():
        fail(f"the signal's name is not in the log: {d.log_text()}")
    # WATCHDOG=trigger: idle while the process lives and pings again later.
    beta = ping(d, "beta")
    wait_for("beta up", lambda: d.activity("beta") == 2, 5)
    beta.send_signal(signal.SIGSTOP)  # no pings from beta while it is triggered
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(f"WATCHDOG=trigger\nMAINPID={beta.pid}\nX_EXTATUS_NAME=beta".encode(), d.socket)
    wait_for("beta idle after WATCHDOG=trigger", lambda: d.activity("beta") == 1, 5)
    beta.send_signal(signal.SIGCONT)
    wait_for("beta up after its next ping", lambda: d.activity("beta") == 2, 5)


def scenario_exits(d):
    """exit 0: normal; exit 3: error; STOPPING=1: down with stopping, its exit not counted again."""
    ok = ping(d, "finisher", "--count=2")
    bad = ping(d, "failer", "--count=2", "--exit=3")
    polite = ping(d, "polite", "--count=2", "--stopping=1")
    for child in (ok, bad, polite):
        child.wait(timeout=10)
    wait_for("finisher normal", lambda: d.exits("finisher", "normal") == 1, 5)
    wait_for("failer error", lambda: d.exits("failer", "error") == 1, 5)
    wait_for("polite stopping", lambda: d.exits("polite", "stopping") == 1, 5)
    time.sleep(0.5)
    for name in ("finisher", "failer", "polite"):
        if d.activity(name) != 0:
            fail(f"{name} is {d.activity(name)}, not down")
    m = d.metrics()
    polite_exits = {k: v for k, v in m.items()
                    if k[0] == "extatus_process_exits_total" and ("name", "polite") in k[1]}
    if sum(polite_exits.values()) != 1:
        fail(f"polite's exit after STOPPING=1 was counted again: {polite_exits}")
    if d.exits("failer", "normal") not in (None, 0):
        fail("an exit with status 3 was counted as normal")


def scenario_expected(d):
    """Expected names: absent until they report, up while they do, down with their exit."""
    if d.activity("never") != 0 or d.exits("never", "absent") != 1:
        fail(f"never: activity {d.activity('never')}, absent {d.exits('never', 'absent')}")
    if d.activity("later") != 0:
        fail("later is not down before it started")
    child = ping(d, "later", "--count=4")
    wait_for("later up", lambda: d.activity("later") == 2, 5)
    child.wait(timeout=10)
    wait_for("later down, normal", lambda: d.exits("later", "normal") == 1, 5)
    if d.activity("never") != 0:
        fail("never changed state")


def scenario_restart(d):
    """A process restarted under the same name is up again; its exit stays counted."""
    first = ping(d, "phoenix")
    wait_for("phoenix up", lambda: d.activity("phoenix") == 2, 5)
    first.kill()
    wait_for("phoenix down", lambda: d.activity("phoenix") == 0, 5)
    first.wait()  # reaped after the daemon saw the exit (see scenario_prometheus)
    second = ping(d, "phoenix")
    wait_for("phoenix up again", lambda: d.activity("phoenix") == 2, 5)
    # STATUS= is logged when it changes, not with every datagram that repeats it.
    for text in ("same", "same", "same", "other"):
        d.send(f"STATUS={text}\nMAINPID={second.pid}\nX_EXTATUS_NAME=phoenix".encode())
    wait_for("the changed status logged", lambda: "'phoenix' status: other" in d.log_text(), 5)
    if d.log_text().count("'phoenix' status: same") != 1:
        fail(f"a repeated STATUS= was logged again: {d.log_text()}")
    if d.exits("phoenix", "signal") != 1:
        fail(f"the first run's exit is {d.exits('phoenix', 'signal')}")
    # A second live process asking for the name is refused and counted.
    before = d.dropped("name_taken")
    ping(d, "phoenix")
    wait_for("the name taken refused", lambda: d.dropped("name_taken") > before, 5)
    if "refused name 'phoenix'" not in d.log_text():
        fail("the refusal is not logged")
    if d.activity("phoenix") != 2:
        fail("the refused process changed the holder's state")


def scenario_systemd_notify(d):
    """Debian's systemd-notify from a shell: the datagram speaks for the shell, never for
    the helper itself; X_EXTATUS_NAME= names it; STATUS= reaches the log."""
    script = ('systemd-notify --ready --status="warming up" X_EXTATUS_NAME=shell-job; '
              'while :; do systemd-notify WATCHDOG=1 X_EXTATUS_NAME=shell-job; sleep 0.1; done')
    shell = subprocess.Popen(["bash", "-c", script], env=d.env)
    children.append(shell)
    plain = subprocess.Popen(
        ["bash", "-c", "while :; do systemd-notify WATCHDOG=1; sleep 0.1; done"], env=d.env)
    children.append(plain)
    wait_for("shell-job up", lambda: d.activity("shell-job") == 2, 10)
    wait_for("the plain shell up under its command name",
             lambda: any(k[0] == "extatus_process_activity" and v == 2 and
                         dict(k[1])["name"].startswith("bash") for k, v in d.metrics().items()), 10)
    names = [dict(k[1])["name"] for k in d.metrics() if k[0] == "extatus_process_activity"]
    if any(n.startswith("systemd-notify") for n in names):
        fail(f"the helper was taken for the process: {names}")
    if "'shell-job' status: warming up" not in d.log_text():
        fail(f"STATUS= is not logged: {d.log_text()}")
    shell.kill()
    shell.wait()
    wait_for("shell-job down with signal", lambda: d.exits("shell-job", "signal") == 1, 5)


def scenario_events(d):
    """GET /events: the SSE stream shows a daemon process like a library worker."""
    lines = []
    connected = threading.Event()

    def read():
        try:
            with urllib.request.urlopen(d.base + "/events", timeout=30) as stream:
                connected.set()
                for raw in stream:
                    lines.append(raw.decode().strip())
        except Exception:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not connected.wait(10):
        fail("GET /events did not answer within 10 s")
    child = ping(d, "gamma")
    wait_for("gamma up", lambda: d.activity("gamma") == 2, 5)

    def events():
        return [json.loads(l[len("data: "):]) for l in list(lines)
                if l.startswith("data: ") and '"name":"gamma"' in l]

    def seen(state, reason, **fields):
        return any(e["state"] == state and e["reason"] == reason and
                   all(e.get(k) == v for k, v in fields.items()) for e in events())

    # STATUS= and ERRNO= reach the stream as the status text (JSON-escaped), not labels.
    status = 'loading "db" 3/10\\ é'
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(f"STATUS={status}\nMAINPID={child.pid}\nX_EXTATUS_NAME=gamma".encode(), d.socket)
    wait_for("gamma's STATUS= text on /events", lambda: seen("up", "answered", text=status), 10)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(f"ERRNO=28\nMAINPID={child.pid}\nX_EXTATUS_NAME=gamma".encode(), d.socket)
    wait_for("gamma's ERRNO= on /events",
             lambda: seen("up", "answered", text="errno 28: No space left on device"), 10)
    exposition = d.get("/metrics")
    if "loading" in exposition or "No space left" in exposition:
        fail("a status text reached /metrics")
    child.send_signal(signal.SIGSTOP)
    wait_for("gamma idle", lambda: d.activity("gamma") == 1, 10)
    child.kill()
    child.wait()

    wait_for("the up/idle/down events of gamma",
             lambda: seen("up", "answered") and seen("idle", "timeout") and seen("down", "signal"),
             10)
    # The signal's name is the text of the down event; changes are counted by the server.
    wait_for("gamma's down event names SIGKILL",
             lambda: seen("down", "signal", text="killed by SIGKILL", last_exit="signal"), 10)
    # The stream was open before gamma's first datagram, so it saw every change:
    # the server's count in each event is the number of changes of state so far.
    states, previous = 0, None
    for event in events():
        if event["state"] != previous:
            states += 1
            previous = event["state"]
        if event["changes"] != states:
            fail(f"gamma's event says {event['changes']} changes, the stream saw {states}: {event}")
    if states < 3:
        fail(f"gamma's stream saw {states} changes of state")
    # The process collector is the daemon's own, sampled on scrape (not every
    # second over thousands of pidfds): registered without complaint.
    if d.value("process_open_fds") is None or "process_open_fds" in d.log_text() \
            or "process collector" in d.log_text():
        fail(f"the process collector is missing or was refused: {d.log_text()}")
    # The daemon serves the library's status page, which shows these fields.
    page = d.get("/")
    if "<th>status text</th>" not in page or "EventSource('/events')" not in page:
        fail("GET / is not the status page")


def scenario_bad_input(d):
    """Oversized, malformed, invalid names, BARRIER=1's descriptor: each dropped or answered."""
    ping(d, "steady")
    wait_for("steady up", lambda: d.activity("steady") == 2, 5)
    d.send(b"READY=1\nSTATUS=" + b"x" * 5000)
    wait_for("oversized counted", lambda: d.dropped("oversized") == 1, 5)
    d.send(b"READY=1\0X_EXTATUS_NAME=nul")
    d.send(b"nothing to see")
    wait_for("malformed counted", lambda: d.dropped("malformed") == 2, 5)
    d.send(b"READY=1\nX_EXTATUS_NAME=bad\xc3\x28name")
    d.send(b"READY=1\nX_EXTATUS_NAME=" + b"n" * 200)
    d.send(b"READY=1\nX_EXTATUS_NAME=")
    wait_for("bad names counted", lambda: d.dropped("bad_name") == 3, 5)
    if "refused the name of pid" not in d.log_text():
        fail("the refused name is not logged")
    # BARRIER=1: the daemon closes the descriptor it is given (the sender waits for that).
    read_end, write_end = os.pipe()
    d.send(b"BARRIER=1", [write_end])
    os.close(write_end)
    reader = threading.Thread(target=lambda: os.read(read_end, 1))
    reader.start()
    reader.join(5)
    if reader.is_alive():
        fail("BARRIER=1's descriptor was not closed")
    os.close(read_end)
    # A sender that exits before its datagram is read: a defined answer, never a stuck up.
    for i in range(20):
        pid = os.fork()
        if pid == 0:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
                s.sendto(f"READY=1\nX_EXTATUS_NAME=brief{i}".encode(), d.socket)
            os._exit(0)
        os.waitpid(pid, 0)
    time.sleep(1.0)
    m = d.metrics()
    for i in range(20):
        value = m.get(("extatus_process_activity", frozenset({("name", f"brief{i}")})))
        if value not in (None, 0.0):
            fail(f"brief{i}, gone before its datagram was read, is {value}")
    if d.activity("steady") != 2 or d.process.poll() is not None:
        fail("the daemon or a good process suffered from bad input")


def scenario_flood(d):
    """One sender floods: the excess is dropped and counted; another process stays up."""
    ping(d, "quiet")
    wait_for("quiet up", lambda: d.activity("quiet") == 2, 5)
    before = d.value("extatusd_datagrams_total")
    started = time.monotonic()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.setblocking(False)
        sent = 0
        end = time.monotonic() + 2
        while time.monotonic() < end:
            try:
                s.sendto(b"WATCHDOG=1\nX_EXTATUS_NAME=loud", d.socket)
                sent += 1
            except BlockingIOError:
                time.sleep(0.001)
    # Every datagram of the flood is either applied or dropped as flood, once the queue drained.
    wait_for("the flood read", lambda: d.dropped("flood") + d.value("extatusd_datagrams_total") -
             before >= sent, 20)
    seconds = time.monotonic() - started
    applied = d.value("extatusd_datagrams_total") - before
    # 100 a second for loud (per started second), a few pings of quiet.
    if applied > 100 * (seconds + 1) + 10 * (seconds + 1):
        fail(f"{applied} of {sent} datagrams applied in {seconds:.1f} s: the rate limit did not hold")
    if d.dropped("flood") < sent - applied:
        fail(f"{sent} sent, {applied} applied, only {d.dropped('flood')} dropped as flood")
    if d.activity("quiet") != 2:
        fail("quiet is not up after another process's flood")
    d.get("/metrics", timeout=2)  # the server still answers quickly


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def scenario_many(d):
    """10,000 names from one process (the --max-processes bound is 10,000): all watched,
    one more refused, memory bounded; the process's death takes all down at once."""
    sender = subprocess.Popen([sys.executable, "-c", """
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for i in range(10001):
    s.sendto(f"READY=1\\nX_EXTATUS_NAME=p{i}".encode(), sys.argv[1])
    if i % 500 == 0:
        time.sleep(0.02)
print("sent", flush=True)
time.sleep(600)
""", d.socket], stdout=subprocess.PIPE, text=True)
    children.append(sender)
    if sender.stdout.readline().strip() != "sent":
        fail("the sender failed")
    wait_for("10,000 watched", lambda: d.value("extatusd_processes") == 10000, 30)
    wait_for("the 10,001st refused", lambda: d.dropped("limit") == 1, 5)
    rss = rss_kb(d.process.pid)
    if rss > 256 * 1024:
        fail(f"the daemon holds {rss} KiB for 10,000 processes")
    sender.kill()
    sender.wait()
    wait_for("all down", lambda: d.value("extatusd_processes") == 0, 30)
    m = d.metrics()
    down = sum(1 for k, v in m.items() if k[0] == "extatus_process_activity" and v == 0)
    if down < 10000:
        fail(f"only {down} of 10,000 are down")
    print(f"extatusd_many: daemon RSS {rss} KiB with 10,000 processes")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scenario_prometheus(d):
    """A real Prometheus scrapes the daemon and stores the states and exits."""
    ping(d, "scraped")
    killed = ping(d, "gone")
    wait_for("both up", lambda: d.activity("scraped") == 2 and d.activity("gone") == 2, 5)
    killed.kill()
    # Reaped only once the daemon has seen the exit: before Linux reports a
    # reaped child's status through its pidfd, the daemon reads it from the
    # zombie, and an early wait() here would leave it "unknown" (an error).
    wait_for("gone down", lambda: d.activity("gone") == 0, 5)
    killed.wait()
    work = tempfile.mkdtemp(prefix="extatusd-prometheus.")
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: extatusd
    static_configs:
      - targets: ['127.0.0.1:{d.port}']
""")
    binary = os.environ.get("PROMETHEUS") or shutil.which("prometheus")
    if not binary:
        fail("prometheus is not installed (make test installs it)")
    api = None
    server = None
    for _ in range(3):
        api_port = free_port()
        server = subprocess.Popen(
            [binary, f"--config.file={work}/prometheus.yml", f"--storage.tsdb.path={work}/data",
             f"--web.listen-address=127.0.0.1:{api_port}", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "prometheus.log"), "w"))
        api = f"http://127.0.0.1:{api_port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            try:
                urllib.request.urlopen(api + "/-/ready", timeout=2).read()
                break
            except Exception:
                time.sleep(0.1)
        else:
            server.kill()
            server.wait()
            continue
        if server.poll() is None:
            break
    children.append(server)

    def query(expr):
        url = api + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                result = json.load(answer)["data"]["result"]
        except Exception as error:
            print(f"query {expr}: {error}", file=sys.stderr)
            return None
        return result[0]["value"][1] if result else None

    wait_for("4 scrapes stored",
             lambda: float(query('count_over_time(up{job="extatusd"}[5m])') or 0) >= 4, 60)
    if query('min_over_time(up{job="extatusd"}[5m])') != "1":
        fail("a scrape of the daemon failed")
    scraped = query('extatus_process_activity{name="scraped"}')
    if scraped != "2":
        fail(f"scraped is stored as {scraped}")
    if query('extatus_process_activity{name="gone"}') != "0":
        fail("gone is not stored as 0")
    if query('extatus_process_exits_total{name="gone",reason="signal"}') != "1":
        fail("gone's exit is not stored")
    shutil.rmtree(work, ignore_errors=True)


SCENARIOS = {
    "states": ([], scenario_states),
    "exits": ([], scenario_exits),
    "expected": (["config"], scenario_expected),
    "restart": ([], scenario_restart),
    "systemd_notify": ([], scenario_systemd_notify),
    "events": ([], scenario_events),
    "bad_input": ([], scenario_bad_input),
    "flood": ([], scenario_flood),
    "many": (["--max-processes=10000"], scenario_many),
    "prometheus": ([], scenario_prometheus),
}


def main():
    flags, run = SCENARIOS[SCENARIO]
    config_dir = None
    if flags == ["config"]:
        config_dir = tempfile.mkdtemp(prefix="extatusd-config.")
        path = os.path.join(config_dir, "expected.yaml")
        with open(path, "w") as f:
            f.write("expected:\n  - never\n  - later\n")
        flags = [f"--config={path}"]
    daemon = Daemon(*flags)
    try:
        run(daemon)
    except SystemExit:
        print(daemon.log_text()[-4000:], file=sys.stderr)
        raise
    finally:
        cleanup()
        if daemon.process.poll() is None and sys.exc_info()[0] is not None:
            daemon.process.kill()
    daemon.stop()
    if config_dir:
        shutil.rmtree(config_dir, ignore_errors=True)
    print(f"extatusd_{SCENARIO}: ok")


main()
