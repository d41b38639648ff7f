#!/usr/bin/python3
"""pushgateway_test.py - the Pushgateway client against Debian's
prometheus-pushgateway and against misbehaving servers of the test's own.

Usage: pushgateway_test.py CASE PUSH_CLIENT [PUSHGATEWAY [PROGRAM]]

PROGRAM is examples/push_batch for the case `example` and examples/demo
for the case `demo`.

Each case starts what it needs on 127.0.0.1 (free ports, a temporary
directory) and drives push_client (tests/push/push_client.c), which
pushes through the public API of extatus-push. What arrived is read back
from the Pushgateway itself: its /metrics exposition parsed with
python3-prometheus-client's parser, and its /api/v1/metrics JSON.

Run with Debian's /usr/bin/python3 (python3-prometheus-client).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

CLIENT = None
PUSHGATEWAY = "prometheus-pushgateway"
PROGRAM = None


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Pushgateway:
    """A prometheus-pushgateway on a free loopback port, with its own directory."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="extatus-pgw-")
        for attempt in range(5):
            self.port = free_port()
            self.url = "http://127.0.0.1:%d" % self.port
            self.log = open(os.path.join(self.dir, "log"), "w")
            self.process = subprocess.Popen(
                [PUSHGATEWAY, "--web.listen-address=127.0.0.1:%d" % self.port,
                 "--persistence.file=" + os.path.join(self.dir, "persist")],
                stdout=self.log, stderr=subprocess.STDOUT)
            deadline = time.time() + 15
            while time.time() < deadline and self.process.poll() is None:
                try:
                    urllib.request.urlopen(self.url + "/-/ready", timeout=1).read()
                    return self
                except OSError:
                    time.sleep(0.05)
            self.process.kill()
            self.process.wait()
        fail("prometheus-pushgateway did not start: " +
             open(os.path.join(self.dir, "log")).read())

    def __exit__(self, *args):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def samples(self):
        """{(name, frozenset(labels)): value} from /metrics, through the client library's parser."""
        text = urllib.request.urlopen(self.url + "/metrics", timeout=5).read().decode()
        out = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                out[(s.name, frozenset(s.labels.items()))] = s.value
        return out

    def groups(self):
        """The groups of /api/v1/metrics: a list of (labels dict, {family: entry})."""
        answer = json.loads(urllib.request.urlopen(self.url + "/api/v1/metrics", timeout=5).read())
        check(answer["status"] == "success", "api answer %r" % answer)
        out = []
        for group in answer["data"]:
            families = {k: v for k, v in group.items()
                        if isinstance(v, dict) and "metrics" in v and
                        k not in ("push_time_seconds", "push_failure_time_seconds")}
            out.append((group["labels"], families))
        return out

    def group(self, labels):
        for group_labels, families in self.groups():
            if group_labels == labels:
                return families
        return None


def run(*args, env=None, timeout=60):
    """Run push_client; return (exit status, {key: value} of its output lines, output)."""
    started = time.monotonic()
    full_env = dict(os.environ)
    full_env.update(env or {})
    p = subprocess.run([CLIENT] + list(args), capture_output=True, text=True, timeout=timeout,
                       env=full_env)
    took = (time.monotonic() - started) * 1000
    fields = {}
    for line in p.stdout.splitlines():
        if "=" in line and line.startswith(("result", "elapsed_ms", "reports", "last_error",
                                            "stop_ms")):
            key, _, value = line.partition("=")
            fields[key] = value
    fields["wall_ms"] = took
    return p.returncode, fields, p.stdout + p.stderr


def value_of(families, name):
    """The one value of family `name` in a group of the API, as a float."""
    check(families is not None and name in families, "no family %s in %r" % (name, families))
    metrics = families[name]["metrics"]
    check(len(metrics) == 1, "family %s has %d series" % (name, len(metrics)))
    return float(metrics[0]["value"])


def ok(*args, **kwargs):
    status, fields, output = run(*args, **kwargs)
    check(status == 0 and fields.get("result") == "OK", "push failed: %s" % output)
    return fields


# ---- cases -------------------------------------------------------------------------



def group_after_delete(pg, labels):
    """The group once a DELETE has had time to apply: the Pushgateway answers a
    DELETE (202 Accepted) before it applies it."""
    deadline = time.time() + 10
    while pg.group(labels) is not None and time.time() < deadline:
        time.sleep(0.05)
    return pg.group(labels)

def case_semantics():
    """PUT replaces the group, POST replaces same-named families, DELETE removes the group."""
    with Pushgateway() as pg:
        group = {"job": "sem", "instance": "i1"}
        ok("put", pg.url, "sem", "--group", "instance=i1", "--gauge", "a=1", "--gauge", "b=2")
        fams = pg.group(group)
        check(sorted(fams) == ["a", "b"], "after PUT a,b: %r" % sorted(fams))
        check(value_of(fams, "a") == 1 and value_of(fams, "b") == 2, "values after PUT")
        # Read back through the exposition parser too: the job and grouping labels were added.
        samples = pg.samples()
        check(samples.get(("a", frozenset({"job": "sem", "instance": "i1"}.items()))) == 1,
              "a{job=sem,instance=i1} not 1 in /metrics")

        ok("put", pg.url, "sem", "--group", "instance=i1", "--gauge", "c=3")
        fams = pg.group(group)
        check(sorted(fams) == ["c"], "PUT must replace the whole group: %r" % sorted(fams))

        ok("post", pg.url, "sem", "--group", "instance=i1", "--gauge", "d=4")
        fams = pg.group(group)
        check(sorted(fams) == ["c", "d"], "POST must keep other families: %r" % sorted(fams))

        ok("post", pg.url, "sem", "--group", "instance=i1", "--labelled", "c:kind=new:5")
        fams = pg.group(group)
        check(sorted(fams) == ["c", "d"], "after POST c: %r" % sorted(fams))
        series = fams["c"]["metrics"]
        check(len(series) == 1 and series[0]["labels"].get("kind") == "new" and
              float(series[0]["value"]) == 5, "POST must replace family c: %r" % series)
        check(value_of(fams, "d") == 4, "d changed by a POST of c")

        # Another group is independent of this one.
        ok("put", pg.url, "sem", "--group", "instance=i2", "--gauge", "a=9")
        ok("delete", pg.url, "sem", "--group", "instance=i1")
        check(group_after_delete(pg, group) is None, "DELETE left the group: %r" % pg.groups())
        check(value_of(pg.group({"job": "sem", "instance": "i2"}), "a") == 9,
              "DELETE of i1 touched i2")


def case_base64():
    """Grouping values that are empty or hold '/' go as @base64; a job with '/' too."""
    with Pushgateway() as pg:
        ok("put", pg.url, "batch/nightly", "--group", "path=/var/tmp/x", "--group", "empty=",
           "--group", "plain=a b%c", "--group", "utf=Grüße/€", "--gauge", "g=7")
        labels = {"job": "batch/nightly", "path": "/var/tmp/x", "empty": "", "plain": "a b%c",
                  "utf": "Grüße/€"}
        fams = pg.group(labels)
        check(fams is not None, "group %r not found in %r" % (labels, pg.groups()))
        check(value_of(fams, "g") == 7, "value")
        # The exposition shows the same labels (and the empty instance the Pushgateway adds).
        shown = dict(labels, instance="")
        check(pg.samples().get(("g", frozenset(shown.items()))) == 7,
              "g with %r not in /metrics" % shown)
        # Delete addresses the same group.
        ok("delete", pg.url, "batch/nightly", "--group", "path=/var/tmp/x", "--group", "empty=",
           "--group", "plain=a b%c", "--group", "utf=Grüße/€")
        check(group_after_delete(pg, labels) is None, "DELETE with @base64 labels left the group")


def case_collision():
    """A series with the job or a grouping label is refused before anything is sent."""
    with Pushgateway() as pg:
        status, fields, output = run("put", pg.url, "col", "--labelled", "x:job=other:1")
        check(status == 1 and "code=-4 " in fields.get("result", ""), "job label: %s" % output)
        check("'job'" in output and " x " in output and pg.url in output, "message: %s" % output)
        status, fields, output = run("put", pg.url, "col", "--group", "zone=a",
                                     "--labelled", "y:zone=b:1")
        check(status == 1 and "code=-4 " in fields.get("result", ""), "grouping: %s" % output)
        check("'zone'" in output and "grouping" in output, "message: %s" % output)
        check(pg.groups() == [], "something was pushed: %r" % pg.groups())
        # A grouping label called job, and a bad label name, are refused as options.
        status, fields, output = run("put", pg.url, "col", "--group", "job=x", "--gauge", "z=1")
        check(status == 1 and "code=-10 " in fields.get("result", ""), "job grouping: %s" % output)
        status, fields, output = run("put", pg.url, "col", "--group", "1bad=x", "--gauge", "z=1")
        check(status == 1 and "code=-10 " in fields.get("result", ""), "bad name: %s" % output)


def case_gzip():
    """A gzip body arrives whole."""
    with Pushgateway() as pg:
        args = ["put", pg.url, "gz", "--gzip"]
        for i in range(40):
            args += ["--labelled", "gz_value:n=%d:%d.5" % (i, i)] if i < 12 else []
        ok(*args)
        series = pg.group({"job": "gz"})["gz_value"]["metrics"]
        got = sorted((int(m["labels"]["n"]), float(m["value"])) for m in series)
        check(got == [(i, i + 0.5) for i in range(12)], "gzip series: %r" % got)


def case_type_clash():
    """The Pushgateway's 400 for a type clash comes back with its status and text."""
    with Pushgateway() as pg:
        ok("put", pg.url, "one", "--gauge", "clash_total=1")
        status, fields, output = run("put", pg.url, "two", "--counter", "clash_total=1")
        check(status == 1 and "code=-15 " in fields.get("result", ""), "clash: %s" % output)
        check("status 400" in output and pg.url + "/metrics/job/two" in output,
              "message names the status and URL: %s" % output)
        check("clash" in output.split("status 400", 1)[1], "message quotes the answer: %s" % output)


def case_env():
    """url, job and grouping from EXTATUS_PUSHGATEWAY_*."""
    with Pushgateway() as pg:
        env = {"EXTATUS_PUSHGATEWAY_URL": pg.url, "EXTATUS_PUSHGATEWAY_JOB": "from_env",
               "EXTATUS_PUSHGATEWAY_GROUPING": "instance=e1,path=/a/b"}
        ok("env", "ignored", "ignored", "--gauge", "e=11", env=env)
        fams = pg.group({"job": "from_env", "instance": "e1", "path": "/a/b"})
        check(value_of(fams, "e") == 11, "env push: %r" % pg.groups())
        status, fields, output = run("env", "x", "y", "--gauge", "e=1",
                                     env={"EXTATUS_PUSHGATEWAY_URL": "",
                                          "EXTATUS_PUSHGATEWAY_JOB": "j"})
        check(status == 1 and "EXTATUS_PUSHGATEWAY_URL" in output, "no URL: %s" % output)
        status, fields, output = run("env", "x", "y", "--gauge", "e=1",
                                     env={"EXTATUS_PUSHGATEWAY_URL": "http://u:s3cr3t@127.0.0.1:1",
                                          "EXTATUS_PUSHGATEWAY_JOB": "j"})
        check(status == 1 and "code=-10 " in fields.get("result", "") and "s3cr3t" not in output,
              "credentials in the URL: %s" % output)
        status, fields, output = run("env", "x", "y", "--gauge", "e=1",
                                     env={"EXTATUS_PUSHGATEWAY_URL": "ftp://h/",
                                          "EXTATUS_PUSHGATEWAY_JOB": "j"})
        check(status == 1 and "ftp://h/" in output, "bad URL: %s" % output)


def case_reporter():
    """The periodic reporter pushes the current values and its own counters."""
    with Pushgateway() as pg:
        fields = ok("reporter", pg.url, "periodic", "--group", "instance=r1", "--gauge",
                    "level=41", "--interval", "100", "--run", "700")
        check(int(fields["last_error"]) == 0, "reporter error: %r" % fields)
        fams = pg.group({"job": "periodic", "instance": "r1"})
        check(value_of(fams, "level") == 42, "the last push holds the new value: %r" % fams)
        series = fams["extatus_push_sent_total"]["metrics"]
        mine = [m for m in series if m["labels"].get("reporter") == "pushgw"]
        check(len(mine) == 1 and float(mine[0]["value"]) >= 5,
              "self-metric extatus_push_sent_total: %r" % series)


def case_yaml():
    """A pushgateway reporter defined in a YAML file (extatus-yaml) pushes; a bad option is named."""
    with Pushgateway() as pg:
        config = os.path.join(pg.dir, "push.yaml")
        with open(config, "w") as f:
            f.write("""metrics:
  - {name: yaml_level, type: gauge, options: {help: "From the file."}}
reporters:
  - name: pgw
    type: pushgateway
    options: {url: "%s", job: yaml_job, grouping: ["instance=y1", "path=/etc/x"], gzip: 1}
subscriptions:
  - {reporter: pgw, metric: yaml_level, interval: 100}
""" % pg.url)
        ok("yaml", config, "-", "--run", "700")
        fams = pg.group({"job": "yaml_job", "instance": "y1", "path": "/etc/x"})
        check(value_of(fams, "yaml_level") == 0, "yaml push: %r" % pg.groups())
        with open(config, "w") as f:
            f.write("""reporters:
  - name: pgw
    type: pushgateway
    options: {url: "%s", job: j, colour: red}
""" % pg.url)
        status, fields, output = run("yaml", config, "-", "--run", "0")
        check(status == 1 and config + ":2:" in output and "'colour'" in output,
              "bad option: %s" % output)


class SilentServer:
    """Accepts connections and reads, never answers."""

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.stop = False
        self.conns = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        return self

    def serve(self):
        self.sock.settimeout(0.1)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except socket.timeout:
                pass

    def __exit__(self, *args):
        self.stop = True
        self.thread.join()
        for c in self.conns:
            c.close()
        self.sock.close()


class AnsweringServer(SilentServer):
    """Answers requests with the given statuses in turn (the last one repeats) and one body;
    records each request's head and body. With `tls` (an ssl.SSLContext) it speaks https."""

    def __init__(self, status, body, tls=None):
        self.statuses = status if isinstance(status, list) else [status]
        self.body, self.tls = body, tls
        self.requests = []

    def __enter__(self):
        SilentServer.__enter__(self)
        if self.tls:
            self.url = self.url.replace("http://", "https://")
        return self

    def serve(self):
        self.sock.settimeout(0.1)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            try:
                conn.settimeout(5)
                if self.tls:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                self.answer(conn)
            except (OSError, ValueError):
                pass  # a client that gave up (bad certificate): its own test says so
            finally:
                conn.close()

    def answer(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        while len(rest) < length:
            rest += conn.recv(65536)
        self.requests.append((head.decode("latin-1"), rest))
        status = self.statuses[min(len(self.requests), len(self.statuses)) - 1]
        body = self.body.encode()
        conn.sendall(b"HTTP/1.1 %d Status\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                     % (status, len(body)) + body)


def self_metrics(output):
    """{(name, labels): value} of the "self: " lines push_client prints, parsed by the client library."""
    text = "".join(line[6:] + "\n" for line in output.splitlines() if line.startswith("self: "))
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[s.name] = s.value
    return out


def case_retry():
    """Two 503s then 200s: the reporter fails, is restarted, retries, and counts all of it."""
    with AnsweringServer([503, 503, 200], "busy") as s:
        status, fields, output = run("reporter", s.url, "retry", "--gauge", "r=1", "--interval",
                                     "50", "--run", "700", "--restart-delay", "50")
        check(status == 0, "reporter run: %s" % output)
        metrics = self_metrics(output)
        check(metrics.get("extatus_push_failed_total") == 2, "failed: %r" % metrics)
        check(metrics.get("extatus_push_retried_total") == 2, "retried: %r" % metrics)
        check(metrics.get("extatus_push_sent_total", 0) >= 3, "sent: %r" % metrics)
        check(metrics.get("extatus_push_bytes_total", 0) >= 5 * len(s.requests[0][1]),
              "bytes: %r for %d requests" % (metrics, len(s.requests)))
        check(abs(metrics.get("extatus_push_last_success_timestamp_seconds", 0) - time.time()) < 60,
              "last success: %r" % metrics)
        check(metrics.get("extatus_push_request_duration_seconds_count") ==
              metrics.get("extatus_push_failed_total") + metrics.get("extatus_push_sent_total"),
              "one duration per request: %r" % metrics)


def case_delete_on_stop():
    """delete_on_stop removes the group when the reporter is removed."""
    with Pushgateway() as pg:
        ok("reporter", pg.url, "deleted", "--gauge", "d=1", "--run", "300", "--delete-on-stop")
        check(group_after_delete(pg, {"job": "deleted"}) is None,
              "the group is still there: %r" % pg.groups())
        ok("reporter", pg.url, "kept", "--gauge", "d=1", "--run", "300")
        check(pg.group({"job": "kept"}) is not None, "the group without delete_on_stop is gone")


def tls_server_context(work):
    """A self-signed certificate for 127.0.0.1 made by openssl in `work`: (its file, a server context)."""
    import ssl
    key, cert = os.path.join(work, "key.pem"), os.path.join(work, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return cert, context


def case_tls():
    """https with a CA file and basic auth; without the CA the certificate is refused."""
    work = tempfile.mkdtemp(prefix="extatus-tls-")
    try:
        cert, context = tls_server_context(work)
        with AnsweringServer(200, "", tls=context) as s:
            ok("put", s.url, "secure", "--gauge", "t=3", "--ca", cert, "--user", "pusher:pa:ss")
            check(len(s.requests) == 1, "%d requests" % len(s.requests))
            head, body = s.requests[0]
            check(head.startswith("PUT /metrics/job/secure HTTP/1.1"), "head: %s" % head)
            check("Authorization: Basic cHVzaGVyOnBhOnNz" in head, "basic auth: %s" % head)
            samples = {x.name: x.value for f in text_string_to_metric_families(body.decode())
                       for x in f.samples}
            check(samples.get("t") == 3, "body: %r" % body)
            status, fields, output = run("put", s.url, "secure", "--gauge", "t=3")
            check(status == 1 and s.url + "/metrics/job/secure" in output and
                  "certificate" in output.lower(), "no CA: %s" % output)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def case_silent():
    """A server that accepts and never answers: the push ends at its timeout, with a message."""
    with SilentServer() as s:
        status, fields, output = run("put", s.url, "slow", "--gauge", "g=1", "--timeout", "700")
        elapsed = float(fields.get("elapsed_ms", "0"))
        check(status == 1 and "code=-15 " in fields.get("result", ""), "silent: %s" % output)
        check(600 <= elapsed < 4000, "ended after %.0f ms, timeout 700" % elapsed)
        check(s.url + "/metrics/job/slow" in output and "700 ms" in output, "message: %s" % output)
        print("silent server: push ended after %.0f ms (timeout 700 ms)" % elapsed)


def case_refused():
    """A refused port fails at once with the URL in the message."""
    url = "http://127.0.0.1:%d" % free_port()
    status, fields, output = run("put", url, "refused", "--gauge", "g=1")
    check(status == 1 and "code=-15 " in fields.get("result", ""), "refused: %s" % output)
    check(url + "/metrics/job/refused" in output, "message: %s" % output)
    check(float(fields["elapsed_ms"]) < 1500, "refused took %s ms" % fields["elapsed_ms"])


def case_status():
    """A 4xx and a 5xx answer: the message has the status and the first bytes of the body."""
    for code, body in ((400, "text format parsing error in line 1: bad\n" + "x" * 1000),
                       (503, "pushgateway overloaded, try later")):
        with AnsweringServer(code, body) as s:
            status, fields, output = run("post", s.url, "st", "--gauge", "g=1")
            check(status == 1 and "code=-15 " in fields.get("result", ""), "%d: %s" % (code,
                                                                                   output))
            check("status %d" % code in output, "%d: no status in %s" % (code, output))
            check(body.split("\n")[0][:60] in output, "%d: no body prefix in %s" % (code, output))
            check("x" * 300 not in output, "%d: the whole body was quoted" % code)
            check(s.url + "/metrics/job/st" in output, "%d: no URL in %s" % (code, output))


class ResettingServer(AnsweringServer):
    """Reads a little of each request, then resets the connection (RST) while the body comes."""

    def answer(self, conn):
        conn.recv(1024)
        self.requests.append(("", b""))
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def case_reset():
    """A receiver that resets the connection mid-body (http and https): an error, never a signal."""
    work = tempfile.mkdtemp(prefix="extatus-tls-")
    try:
        cert, context = tls_server_context(work)
        for tls in (None, context):
            with ResettingServer(200, "", tls=tls) as s:
                for attempt in range(3):
                    status, fields, output = run("put", s.url, "reset", "--series", "60000",
                                                 "--ca", cert)
                    check(status == 1 and "code=-15 " in fields.get("result", ""),
                          "%s reset (attempt %d): exit status %d: %s"
                          % (s.url, attempt, status, output[-400:]))
                    check(s.url + "/metrics/job/reset" in output, "message: %s" % output[-400:])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def case_stop_hang():
    """Removing the reporter, or shutting down, while a push hangs is bounded."""
    for how in ([], ["--shutdown"]):
        with SilentServer() as s:
            status, fields, output = run("reporter", s.url, "hang", "--gauge", "g=1",
                                         "--timeout", "20000", "--interval", "100",
                                         "--run", "300", *how, timeout=60)
            check(status == 0, "reporter run: %s" % output)
            stop_ms = float(fields.get("stop_ms", "99999"))
            check(stop_ms < 1000, "stop%s took %.0f ms while the push hung (timeout 20 s)"
                  % (" (shutdown)" if how else "", stop_ms))
            print("stop%s while a push hangs: %.0f ms" % (" (shutdown)" if how else "", stop_ms))


def case_example():
    """examples/push_batch pushes its counts once, the URL from the environment."""
    with Pushgateway() as pg:
        data = os.path.join(pg.dir, "data")
        with open(data, "wb") as f:
            f.write(b"x" * 12345)
        env = dict(os.environ, EXTATUS_PUSHGATEWAY_URL=pg.url)
        p = subprocess.run([PROGRAM, data, data], env=env, capture_output=True, text=True,
                           timeout=60)
        check(p.returncode == 0, "push_batch failed: %s" % (p.stdout + p.stderr))
        fams = pg.group({"job": "push_batch"})
        check(value_of(fams, "batch_files_total") == 2, "files: %r" % fams)
        check(value_of(fams, "batch_bytes_total") == 24690, "bytes: %r" % fams)
        check(abs(value_of(fams, "batch_finished_timestamp_seconds") - time.time()) < 120,
              "finished timestamp")
        # Without a Pushgateway it fails quickly and says why.
        env["EXTATUS_PUSHGATEWAY_URL"] = "http://127.0.0.1:%d" % free_port()
        p = subprocess.run([PROGRAM], env=env, capture_output=True, text=True, timeout=60)
        check(p.returncode == 1 and "push failed" in p.stderr and
              env["EXTATUS_PUSHGATEWAY_URL"] in p.stderr, "no gateway: %s" % p.stderr)


def case_demo():
    """`make demo` pushes to the Pushgateway when EXTATUS_PUSHGATEWAY_URL is set."""
    with Pushgateway() as pg:
        env = dict(os.environ, EXTATUS_PUSHGATEWAY_URL=pg.url, EXTATUS_PORT="0",
                   EXTATUS_TIMEOUT="400")
        env.pop("EXTATUS_PUSHGATEWAY_JOB", None)
        out = open(os.path.join(pg.dir, "demo.out"), "w+")
        demo = subprocess.Popen([PROGRAM], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 20
            fams = None
            while time.time() < deadline:
                fams = pg.group({"job": "extatus_demo"})
                if fams and "extatus_process_activity" in fams and "instrument_gauge" in fams:
                    break
                time.sleep(0.2)
            out.seek(0)
            log = out.read()
            check(fams and "extatus_process_activity" in fams and "instrument_gauge" in fams,
                  "the demo pushed nothing within 20 s: %r\n%s" % (pg.groups(), log))
            check("pushing to:    " + pg.url in log, "the demo does not say it pushes: " + log)
            states = {m["labels"]["name"]: float(m["value"])
                      for m in fams["extatus_process_activity"]["metrics"]}
            check(states.get("steady_counter") == 2, "steady_counter pushed as %r" % states)
        finally:
            demo.terminate()
            status = demo.wait(timeout=20)
        check(status == 0, "the demo exited with %d" % status)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in CASES:
        sys.exit("usage: pushgateway_test.py {%s} PUSH_CLIENT [PUSHGATEWAY]" % ",".join(CASES))
    CLIENT = sys.argv[2]
    if len(sys.argv) > 3:
        PUSHGATEWAY = sys.argv[3]
    if len(sys.argv) > 4:
        PROGRAM = sys.argv[4]
    CASES[sys.argv[1]]()
    print("pushgateway_test %s: ok" % sys.argv[1])
