#!/usr/bin/python3
"""remote_write_receivers_test.py - the remote write reporter against real
receivers on loopback, started here:

  prometheus        Debian's prometheus with --web.enable-remote-write-receiver
                    and its own TSDB in a temp dir: every value and label read
                    back through /api/v1/query; the removed series ends at once
                    (its stale marker: the instant query finds nothing).
  victoria_metrics  Debian's victoria-metrics on /api/v1/write, read back the
                    same way (with its query latency offset set to 0).
  faults            a receiver of this test's own that answers as told: 500 then
                    200 (retried, nothing lost), 429 with Retry-After (waited),
                    400 (dropped, counted, not retried), never answers (times
                    out; removal still bounded), 2.0 answered without the
                    written-headers (falls back to 1.0) and 415 (falls back),
                    a duplicate label refused before sending.

usage: remote_write_receivers_test.py prometheus|victoria_metrics|faults FEEDER
"""
import http.server
import json
import re
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import snappy  # Debian python3-snappy: an independent snappy block decoder

MODE, FEEDER = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "..", "src", "push", "proto")
failures = []


def check(what, ok, detail=""):
    if not ok:
        failures.append(f"{what} {detail}".strip())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def feed(scenario, url, run_ms, *options, timeout=60, env=None):
    out = subprocess.run([FEEDER, scenario, url, str(run_ms)] + list(options),
                         capture_output=True, text=True, timeout=timeout,
                         env=dict(os.environ, **(env or {})))
    if out.returncode != 0:
        raise SystemExit(f"feeder {scenario} failed ({out.returncode}): {out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def wait_http(url, limit=60):
    end = time.time() + limit
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def query(base, promql):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    answer = json.load(urllib.request.urlopen(url, timeout=10))
    return {tuple(sorted(r["metric"].items())): float(r["value"][1])
            for r in answer["data"]["result"]}


# What the feeder's "values" scenario reports, with external labels job and instance.
EXTERNAL = [("instance", "feeder:1"), ("job", "extatus_test")]
EXPECTED = {
    (("__name__", "rw_temperature"), ("room", "kitchen")): 21.5,
    (("__name__", "rw_jobs_total"), ("kind", "a")): 7.0,
    (("__name__", "rw_latency_seconds_bucket"), ("le", "0.1")): 1.0,
    (("__name__", "rw_latency_seconds_bucket"), ("le", "1.0")): 2.0,
    (("__name__", "rw_latency_seconds_bucket"), ("le", "+Inf")): 3.0,
    (("__name__", "rw_latency_seconds_sum"),): 3.55,
    (("__name__", "rw_latency_seconds_count"),): 3.0,
}


def expected_series():
    return {tuple(sorted(list(k) + EXTERNAL)): v for k, v in EXPECTED.items()}


def check_read_back(base, settle=0.0):
    time.sleep(settle)
    everything = query(base, '{job="extatus_test",__name__!~"extatus_process.*"}')
    got = {k: v for k, v in everything.items() if not dict(k)["__name__"].startswith("extatus_")}
    check("series read back", got == expected_series(),
          f"\n got  {sorted(got.items())}\n want {sorted(expected_series().items())}")
    # The reporter's own counter, pushed by itself, counted what it sent.
    sent = query(base, 'extatus_remote_write_samples_sent_total{reporter="rw"}')
    check("self-metric samples_sent pushed", len(sent) == 1 and list(sent.values())[0] >= 8,
          str(sent))
    # The removed series ended with its stale marker: an instant query finds nothing.
    cellar = query(base, 'rw_temperature{room="cellar"}')
    check("stale marker ended room=cellar", cellar == {}, str(cellar))


def check_values_run(receiver, base):
    """The feeder's values scenario against a receiver at base, then everything read back."""
    stats = feed("values", base + "/api/v1/write", 20000,
                 "external_labels=job=extatus_test,instance=feeder:1")
    check(f"{receiver}: no drops", stats["dropped_invalid"] + stats["dropped_rejected"]
          + stats["dropped_queue_full"] + stats["dropped_shutdown"] == 0, str(stats))
    check(f"{receiver}: one stale marker", stats["stale_markers"] == 1, str(stats))


def run_prometheus(tmp):
    port = free_port()
    config = os.path.join(tmp, "prometheus.yml")
    open(config, "w").write("global:\n  scrape_interval: 1m\n")
    server = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp}/data",
         f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "prometheus.log"), "w"))
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/-/ready")
        check_values_run("prometheus", base)
        check_read_back(base)
        # A worker up, then down, then retired: both states arrived, and its
        # series ended with the stale marker (the instant query finds nothing).
        stats = feed("worker", base + "/api/v1/write", 20000,
                     "external_labels=job=extatus_test,instance=feeder:1")
        check("worker: stale marker", stats["stale_markers"] >= 1, str(stats))
        worker = 'extatus_process_activity{job="extatus_test",name="rw_worker"}'
        check("worker: retired series ended", query(base, worker) == {},
              str(query(base, worker)))
        highest = query(base, f"max_over_time({worker}[5m])")
        lowest = query(base, f"min_over_time({worker}[5m])")
        check("worker: up (2) was pushed", list(highest.values()) == [2.0], str(highest))
        check("worker: down (0) was pushed at once", list(lowest.values()) == [0.0], str(lowest))
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_victoria_metrics(tmp):
    port = free_port()
    server = subprocess.Popen(
        ["victoria-metrics", f"-httpListenAddr=127.0.0.1:{port}",
         f"-storageDataPath={tmp}/vm", "-search.latencyOffset=0s", "-retentionPeriod=1d"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "vm.log"), "w"))
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/health")
        check_values_run("victoria-metrics", base)
        # VictoriaMetrics makes new samples searchable after its in-memory buffers flush.
        urllib.request.urlopen(base + "/internal/force_flush", timeout=10).read()
        check_read_back(base, settle=1.0)
    finally:
        server.terminate()
        server.wait(timeout=30)


class FaultReceiver(http.server.ThreadingHTTPServer):
    """Answers request i with plan[min(i, len(plan) - 1)]; records every request."""
    daemon_threads = True

    def __init__(self, plan):
        super().__init__(("127.0.0.1", 0), FaultHandler)
        self.plan = plan
        self.requests = []
        self.lock = threading.Lock()
        self.release = threading.Event()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/write"


class FaultHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            index = len(self.server.requests)
            self.server.requests.append((dict(self.headers), body, time.monotonic()))
        status, headers, text = self.server.plan[min(index, len(self.server.plan) - 1)]
        if status == "hang":
            self.server.release.wait(60)
            return
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender gave up on this request (its timeout or removal)


def with_receiver(plan, scenario, run_ms, *options, timeout=60):
    receiver = FaultReceiver(plan)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        stats = feed(scenario, receiver.url, run_ms, *options, timeout=timeout)
    finally:
        receiver.release.set()
        receiver.shutdown()
        receiver.server_close()
    return stats, receiver.requests


def decode(body, message="prometheus.WriteRequest", proto="remote_write_v1.proto"):
    raw = snappy.uncompress(body)
    out = subprocess.run(["protoc", f"-I{PROTO_DIR}", f"--decode={message}", proto], input=raw,
                         capture_output=True, check=True)
    return out.stdout.decode()


OK = (200, [], b"")
ONE_ROUND = ["max_samples_per_send=1", "batch_deadline_ms=0"]


def run_faults(tmp):
    # 500 then 200: retried, the same body again, nothing dropped.
    stats, requests = with_receiver([(500, [], b"busy"), OK], "gauge", 1000,
                                    "min_backoff_ms=50", *ONE_ROUND)
    check("500: retried", stats["samples_retried"] >= 1, str(stats))
    check("500: nothing dropped", stats["dropped_rejected"] + stats["dropped_retry_limit"] == 0,
          str(stats))
    check("500: the failed body sent again", len(requests) >= 2 and requests[0][1] == requests[1][1])
    headers = {k.lower(): v for k, v in requests[0][0].items()}
    check("header Content-Encoding", headers.get("content-encoding") == "snappy", str(headers))
    check("header Content-Type", headers.get("content-type") == "application/x-protobuf",
          str(headers))
    check("header X-Prometheus-Remote-Write-Version",
          headers.get("x-prometheus-remote-write-version") == "0.1.0", str(headers))
    check("header User-Agent", headers.get("user-agent", "").startswith("extatus/"), str(headers))
    text = decode(requests[0][1])
    check("body: snappy block of a 1.0 WriteRequest naming the gauge",
          'value: "rw_fault_gauge"' in text and "value: 1" in text, text)

    # 429 with Retry-After: 1 second: the next try waits for it.
    stats, requests = with_receiver([(429, [("Retry-After", "1")], b"slow down"), OK], "gauge",
                                    1500, "min_backoff_ms=10", *ONE_ROUND)
    check("429: retried", stats["samples_retried"] >= 1, str(stats))
    check("429: Retry-After honoured", len(requests) >= 2 and requests[1][2] - requests[0][2] >= 0.95,
          str([r[2] for r in requests[:2]]))

    # 400: dropped and counted, never retried, the answer kept for the log.
    stats, requests = with_receiver([(400, [], b"out of order sample")], "gauge", 1000,
                                    *ONE_ROUND)
    check("400: dropped", stats["dropped_rejected"] >= 1 and stats["samples_retried"] == 0,
          str(stats))
    check("400: answer in the error", "out of order sample" in stats["last_error"], str(stats))
    check("400: status and URL in the error",
          "400" in stats["last_error"] and "/write" in stats["last_error"], str(stats))

    # A receiver that never answers: the request times out, removal stays bounded.
    stats, requests = with_receiver([("hang", [], b"")], "gauge", 1000, "timeout_ms=500",
                                    "flush_timeout_ms=300", "retry_limit_ms=100000", *ONE_ROUND)
    check("hang: timed out", stats["requests_failed"] >= 1 and stats["samples_sent"] == 0,
          str(stats))
    check("hang: removal bounded (flush_timeout 300 ms + a slice)", stats["remove_ms"] < 1500,
          str(stats))
    check("hang: what was left counted as shutdown", stats["dropped_shutdown"] >= 1, str(stats))

    # Series made and removed one after the other (a new one may take the memory of the
    # last): every sample carries the labels of its own series, never those of the one before.
    stats, requests = with_receiver([OK], "relabel", 3000, "batch_deadline_ms=20")
    seen = set()
    wrong = []
    for _, body, _ in requests:
        for series in decode(body).split("timeseries {")[1:]:
            labels = dict(re.findall(r'labels \{\s*name: "([^"]*)"\s*value: "([^"]*)"', series))
            if labels.get("__name__") != "rw_relabel":
                continue
            for value in re.findall(r"samples \{\s*value: ([^\s]+)", series):
                if value.lower() == "nan":
                    continue  # a stale marker: the removed series' own labels, checked below
                i = int(float(value))
                seen.add(i)
                want = {"__name__": "rw_relabel", "m": "same"}
                if i % 2 == 0:
                    want["k"] = f"v{i}"
                if labels != want:
                    wrong.append((value, labels))
    check("relabel: several series made and removed", len(seen) >= 6, str(sorted(seen)))
    check("relabel: every sample under its own series' labels", not wrong, str(wrong[:5]))
    check("relabel: a stale marker per removed series", stats["stale_markers"] >= len(seen) - 1,
          str(stats))

    # 2.0 answered 2xx without the written-headers: falls back to 1.0 and sends again.
    stats, requests = with_receiver([OK], "gauge", 1000, "protocol=2.0", *ONE_ROUND)
    check("2.0: a request arrived", len(requests) >= 1, str(stats))
    if not requests:
        raise SystemExit("\n".join(failures))
    first = {k.lower(): v for k, v in requests[0][0].items()}
    check("2.0 first", first.get("content-type")
          == "application/x-protobuf;proto=io.prometheus.write.v2.Request"
          and first.get("x-prometheus-remote-write-version") == "2.0.0", str(first))
    text = decode(requests[0][1], "io.prometheus.write.v2.Request", "remote_write_v2.proto")
    check("2.0 body has symbols and metadata", 'symbols: "rw_fault_gauge"' in text
          and "METRIC_TYPE_GAUGE" in text, text)
    second = {k.lower(): v for k, v in requests[1][0].items()} if len(requests) > 1 else {}
    check("2.0 without written-headers: 1.0 next", second.get("x-prometheus-remote-write-version")
          == "0.1.0" and stats["protocol"] == 1, str(second))

    # 2.0 answered with the written-headers: stays on 2.0.
    written = (204, [("X-Prometheus-Remote-Write-Samples-Written", "1")], b"")
    stats, requests = with_receiver([written], "gauge", 1000, "protocol=2.0", *ONE_ROUND)
    check("2.0 with written-headers: stays 2.0", stats["protocol"] == 2 and all(
        r[0].get("X-Prometheus-Remote-Write-Version") == "2.0.0" for r in requests), str(stats))

    # 415 to 2.0: falls back to 1.0.
    stats, requests = with_receiver([(415, [], b"unsupported"), OK], "gauge", 1000,
                                    "protocol=2.0", *ONE_ROUND)
    check("415: falls back to 1.0", stats["protocol"] == 1 and stats["dropped_rejected"] == 0
          and len(requests) >= 2 and requests[1][0].get("X-Prometheus-Remote-Write-Version")
          == "0.1.0", str(stats))

    # A label that repeats an external one is refused before sending.
    stats, requests = with_receiver([OK], "dup", 1000, "external_labels=job=outer", *ONE_ROUND)
    check("duplicate label: refused and counted", stats["dropped_invalid"] >= 1
          and stats["samples_sent"] == 0 and requests == [], str(stats))
    check("duplicate label: reason given", 'label "job" given twice' in stats["last_error"],
          str(stats))

    # A full queue drops new samples and counts them; nothing blocks.
    stats, requests = with_receiver([("hang", [], b"")], "gauge", 1500, "queue_max_samples=1",
                                    "timeout_ms=5000", "flush_timeout_ms=200", *ONE_ROUND)
    check("queue full: dropped and counted", stats["dropped_queue_full"] >= 1, str(stats))
    check("queue full: removal bounded", stats["remove_ms"] < 1500, str(stats))

    # The URL and the external labels from the environment (extatus_remote_write_add).
    receiver = FaultReceiver([OK])
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        stats = feed("gauge", "-", 1000, *ONE_ROUND,
                     env={"EXTATUS_REMOTE_WRITE_URL": receiver.url,
                          "EXTATUS_REMOTE_WRITE_EXTERNAL_LABELS": "job=from_env,instance=e1"})
    finally:
        receiver.shutdown()
        receiver.server_close()
    check("environment: accepted", stats["samples_sent"] >= 1 and len(receiver.requests) >= 1,
          str(stats))
    if receiver.requests:
        text = decode(receiver.requests[0][1])
        check("environment: external labels", 'value: "from_env"' in text
              and 'value: "e1"' in text, text)

    # The reporter from a configuration file (extatus-yaml).
    receiver = FaultReceiver([OK])
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    config = os.path.join(tmp, "remote_write.yaml")
    open(config, "w").write(
        "reporters:\n"
        "  - name: rw\n"
        "    type: remote_write\n"
        "    options:\n"
        f"      url: \"{receiver.url}\"\n"
        "      external_labels: [\"job=from_yaml\"]\n"
        "      batch_deadline_ms: 0\n"
        "subscriptions:\n"
        "  - reporter: rw\n"
        "    metric: rw_fault_gauge\n"
        "    interval: 100\n")
    try:
        stats = feed("yaml", config, 1000)
    finally:
        receiver.shutdown()
        receiver.server_close()
    check("yaml: accepted", stats["samples_sent"] >= 1 and len(receiver.requests) >= 1,
          str(stats))
    if receiver.requests:
        text = decode(receiver.requests[0][1])
        check("yaml: external label from the file", 'value: "from_yaml"' in text, text)

    # A refused connection never blocks the program: counted and removal bounded.
    port = free_port()
    stats = feed("gauge", f"http://127.0.0.1:{port}/write", 1000, "retry_limit_ms=100",
                 "min_backoff_ms=10", *ONE_ROUND)
    check("refused: failed and given up", stats["requests_failed"] >= 1
          and stats["dropped_retry_limit"] + stats["dropped_shutdown"] >= 1, str(stats))
    check("refused: removal bounded", stats["remove_ms"] < 1500, str(stats))


tmp = tempfile.mkdtemp(prefix="extatus-rw-")
try:
    {"prometheus": run_prometheus, "victoria_metrics": run_victoria_metrics,
     "faults": run_faults}[MODE](tmp)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"remote write against {MODE}: every check passed")
