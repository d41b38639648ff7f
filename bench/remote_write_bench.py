#!/usr/bin/python3
"""remote_write_bench.py - remote_write_100k: the CPU time to get one round
of 100,000 series to a remote write receiver on loopback, measured side by
side in one run:

  extatus          the remote write reporter in the program itself: read,
                   encode, snappy, send (bench/remote_write_source.c push);
  prometheus_agent Debian's prometheus in agent mode
                   (--enable-feature=agent) scraping the same 100k series
                   from the exporter (remote_write_source serve) and
                   forwarding them by remote write; its own CPU only (the
                   exporter's rendering of each scrape is printed apart).

Both send to the same receiver, a sink on loopback that reads and answers
204. CPU is user + system time of the process per round after a warm-up.
The agent's cost swings with the machine's load, so both are taken as
medians, in one run: the extatus side RUNS times (each the mean of ROUNDS
rounds), then the agent over RUNS windows of ROUNDS scrape intervals (each
the mean of its intervals, so that its garbage collections, every few
intervals, count as they cost).

usage: remote_write_bench.py BENCH_DIR [ROUNDS [RUNS]]
Prints: BENCH name=remote_write_100k unit=cpu_ms extatus=... prometheus_agent=...
"""
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH_DIR = sys.argv[1]
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
INTERVAL_S = 5
SOURCE = os.path.join(BENCH_DIR, "remote-write-source")
TICK = os.sysconf("SC_CLK_TCK")


class Sink(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SinkHandler)
        self.requests = 0
        self.bytes = 0
        self.lock = threading.Lock()


class SinkHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.requests += 1
            self.server.bytes += len(body)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def cpu_ms(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / TICK  # utime + stime


def run_extatus(url):
    out = subprocess.run([SOURCE, "push", url, str(ROUNDS), str(INTERVAL_S * 1000)],
                         capture_output=True, text=True, timeout=600, check=True).stdout
    fields = dict(f.split("=") for f in out.split())
    return float(fields["cpu_ms_per_round"]), fields


def run_agent(url, tmp):
    """The agent's and the exporter's CPU per scrape interval: one reading per interval."""
    intervals = RUNS * ROUNDS
    port_file = os.path.join(tmp, "port")
    seconds = INTERVAL_S * (intervals + 6) + 30
    source = subprocess.Popen([SOURCE, "serve", port_file, str(seconds)])
    try:
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            time.sleep(0.1)
        port = int(open(port_file).read())
        config = os.path.join(tmp, "agent.yml")
        open(config, "w").write(
            f"global:\n  scrape_interval: {INTERVAL_S}s\n  scrape_timeout: {INTERVAL_S}s\n"
            "scrape_configs:\n  - job_name: bench\n    static_configs:\n"
            f"      - targets: ['127.0.0.1:{port}']\n"
            f"remote_write:\n  - url: {url}\n")
        agent = subprocess.Popen(
            ["prometheus", "--enable-feature=agent", f"--config.file={config}",
             f"--storage.agent.path={tmp}/agent", "--web.listen-address=127.0.0.1:0"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "agent.log"), "w"))
        try:
            time.sleep(INTERVAL_S * 3)  # start-up, first scrapes, series created
            agent_ms, source_ms = [], []
            agent_at, source_at = cpu_ms(agent.pid), cpu_ms(source.pid)
            for _ in range(intervals):
                time.sleep(INTERVAL_S)
                agent_now, source_now = cpu_ms(agent.pid), cpu_ms(source.pid)
                agent_ms.append(agent_now - agent_at)
                source_ms.append(source_now - source_at)
                agent_at, source_at = agent_now, source_now
        finally:
            agent.terminate()
            agent.wait(timeout=60)
        return agent_ms, source_ms
    finally:
        source.terminate()
        source.wait(timeout=60)


sink = Sink()
threading.Thread(target=sink.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{sink.server_address[1]}/api/v1/write"
tmp = tempfile.mkdtemp(prefix="extatus-rw-bench-")
try:
    extatus_runs = [run_extatus(url) for _ in range(RUNS)]
    details = extatus_runs[-1][1]
    before = sink.bytes
    agent_runs, exporter_runs = run_agent(url, tmp)
    agent_bytes = sink.bytes - before
finally:
    sink.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)
extatus_ms = statistics.median(ms for ms, _ in extatus_runs)

def window_means(readings):
    return [statistics.mean(readings[i:i + ROUNDS]) for i in range(0, len(readings), ROUNDS)]


agent_ms = statistics.median(window_means(agent_runs))
exporter_ms = statistics.median(window_means(exporter_runs))
print(f"remote_write_100k: 100000 series every {INTERVAL_S} s; medians of {RUNS} extatus runs "
      f"and {RUNS} agent windows ({ROUNDS} rounds or intervals each)")
print(f"  extatus reporter:        {extatus_ms:8.1f} ms CPU per round "
      f"({details['bytes_per_round']} body bytes per round; runs: "
      f"{', '.join(f'{ms:.1f}' for ms, _ in extatus_runs)})")
print(f"  prometheus agent:        {agent_ms:8.1f} ms CPU per round "
      f"(windows: {', '.join(f'{ms:.1f}' for ms in window_means(agent_runs))}; intervals: "
      f"{', '.join(f'{ms:.0f}' for ms in agent_runs)}; the exporter's scrapes: "
      f"{exporter_ms:.1f} ms more; {agent_bytes} bytes received)")
print(f"  ratio:                   {agent_ms / extatus_ms:8.1f}x (target: 5x)")
if agent_bytes == 0:
    raise SystemExit("the agent forwarded nothing: see its log")
print(f"BENCH name=remote_write_100k unit=cpu_ms extatus={extatus_ms:.1f} "
      f"prometheus_agent={agent_ms:.1f}")
