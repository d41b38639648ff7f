#!/usr/bin/python3
"""status_page_test.py - the status page at / in headless Chromium, driven
live: a test program serves lock-mode workers that the test makes idle,
up, down with a reason and gives status texts; Chromium (driven over its
DevTools pipe, no extra package) keeps the page open while the test checks
its DOM after each change, uses the state filter, and takes a screenshot
into the build directory.

Usage: status_page_test.py SERVE SCREENSHOT.png   (environment: CHROMIUM)
"""
import base64
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import waiting  # noqa: E402
from waiting import fail, wait_for  # noqa: E402

ME = waiting.test_name = "status_page_test"
SERVE, SCREENSHOT = sys.argv[1], sys.argv[2]
CHROMIUM = os.environ.get("CHROMIUM", "chromium")
NAMES = ["zeta", "alpha", "delta", "beta", "gamma"]  # registered out of order


class Server:
    """The driven program: one command a line, 'ok' after each."""

    def __init__(self):
        self.process = subprocess.Popen([SERVE, *NAMES], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("port "):
            fail(f"the server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"

    def do(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if answer != "ok":
            fail(f"'{command}': {answer}")

    def activity(self, name):
        with urllib.request.urlopen(self.base + "/metrics", timeout=10) as answer:
            text = answer.read().decode()
        found = re.search(r'^extatus_process_activity\{name="%s"\} (\S+)$' % name, text, re.M)
        return float(found.group(1)) if found else None

    def stop(self):
        self.process.stdin.close()
        if self.process.wait(timeout=30) != 0:
            fail("the server did not stop cleanly")


class Browser:
    """Headless Chromium over --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-separated JSON)."""

    def __init__(self, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():
            # Via high numbers: a pipe may already be 3 or 4 (and close-on-exec).
            high_r = os.dup2(to_chrome_r, 100)
            high_w = os.dup2(from_chrome_w, 101)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.log = open(os.path.join(profile, "chromium.log"), "w+")
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--remote-debugging-pipe",
             f"--user-data-dir={profile}/data", "about:blank"],
            # fds 3 and 4 are made after the fork; close_fds would close them again.
            preexec_fn=fds, close_fds=False, stdout=self.log,
            stderr=self.log, env=dict(os.environ, HOME=profile))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.session = None

    def call(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        until = time.monotonic() + timeout
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == self.next_id:
                    if "error" in answer:
                        fail(f"{method}: {answer['error']}")
                    return answer["result"]
            left = until - time.monotonic()
            if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                self.log.seek(0)
                fail(f"chromium did not answer {method} within {timeout} s: {self.log.read()[-2000:]}")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                fail(f"chromium closed its pipe: {self.log.read()[-2000:]}")
            self.buffer += chunk

    def open(self, url):
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1200, "height": 640, "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.navigate", {"url": url})

    def js(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            fail(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def rows(self):
        """Every row of the table, in DOM order, as the page shows it."""
        return self.js("""Array.from(document.querySelectorAll('#workers tbody tr')).map(r => ({
            name: r.cells[0].textContent, state: r.cells[1].textContent,
            state_class: r.className, reason: r.cells[2].textContent,
            since: r.cells[3].textContent, changes: r.cells[4].textContent,
            text: r.cells[5].textContent, text_html: r.cells[5].innerHTML,
            last_exit: r.cells[6].textContent,
            strip: Array.from(r.cells[7].children).map(s => s.className).join(' '),
            colour: getComputedStyle(r.cells[1]).backgroundColor, hidden: r.hidden}))""")

    def row(self, name):
        for row in self.rows() or []:
            if row["name"] == name:
                return row
        return None

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=10)
        except SystemExit:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main():
    if not shutil.which(CHROMIUM):
        fail("chromium not found (Debian package chromium; make test installs it)")
    profile = tempfile.mkdtemp(prefix="extatus-status-page.")
    server = Server()
    browser = None
    try:
        # Before the page opens: beta flaps (up, idle, up), 3 changes on the server.
        wait_for("beta up", lambda: server.activity("beta") == 2, 10)
        server.do("idle beta")
        wait_for("beta idle", lambda: server.activity("beta") == 1, 10)
        server.do("up beta")
        wait_for("beta up again", lambda: server.activity("beta") == 2, 10)

        browser = Browser(profile)
        browser.open(server.base + "/")
        wait_for("the page live with 5 rows",
                 lambda: browser.js("document.getElementById('stream') &&"
                                    " document.getElementById('stream').textContent") == "live"
                 and len(browser.rows() or []) == 5, 20)
        rows = browser.rows()
        if [r["name"] for r in rows] != sorted(NAMES):
            fail(f"rows are not in name order: {[r['name'] for r in rows]}")
        beta = browser.row("beta")
        # Counted on the server: the page saw only beta's current state.
        if beta["changes"] != "3" or beta["strip"] != "up":
            fail(f"beta's changes are not the server's count: {beta}")
        for row in rows:
            if not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["since"]):
                fail(f"'since' is not a date and time: {row}")
            if row["state"] != "up (2)" or row["state_class"] != "up" or \
                    row["colour"] != "rgb(200, 240, 200)":
                fail(f"{row['name']} is not shown up in green: {row}")

        # Live: a worker going idle.
        server.do("idle beta")
        beta = wait_for("beta idle on the page",
                        lambda: (lambda r: r if r and r["state"] == "idle (1)" else None)(
                            browser.row("beta")), 10)
        if beta["changes"] != "4" or beta["reason"] != "timeout" or beta["strip"] != "up idle" \
                or beta["colour"] != "rgb(248, 236, 160)":
            fail(f"beta's idle row: {beta}")

        # Live: a status text appearing, shown as text (never as HTML).
        text = 'loading "db" <b>3/10</b> & more'
        server.do(f"text delta {text}")
        delta = wait_for("delta's status text on the page",
                         lambda: (lambda r: r if r and r["text"] == text else None)(
                             browser.row("delta")), 10)
        if "<b>" in delta["text_html"] or delta["changes"] != "1" or delta["strip"] != "up":
            fail(f"delta's text row: {delta}")

        # Live: down with a reason; the text stays, the last exit is shown.
        server.do("text gamma disk full")
        server.do("down gamma error")
        gamma = wait_for("gamma down on the page",
                         lambda: (lambda r: r if r and r["state"] == "down (0)" else None)(
                             browser.row("gamma")), 10)
        if gamma["reason"] != "error" or gamma["last_exit"] != "error" or \
                gamma["text"] != "disk full" or gamma["changes"] != "2" or \
                gamma["strip"] != "up down" or gamma["colour"] != "rgb(244, 192, 192)":
            fail(f"gamma's down row: {gamma}")

        # The filter: only idle and down rows, then only down.
        browser.js("document.querySelector('#filter input[value=up]').click()")
        shown = [r["name"] for r in browser.rows() if not r["hidden"]]
        if shown != ["beta", "gamma"]:
            fail(f"with up unchecked the page shows {shown}")
        browser.js("document.querySelector('#filter input[value=idle]').click()")
        shown = [r["name"] for r in browser.rows() if not r["hidden"]]
        if shown != ["gamma"]:
            fail(f"with only down checked the page shows {shown}")
        counts = browser.js("Array.from(document.querySelectorAll('#filter .count'))"
                            ".map(c => c.textContent).join(' ')")
        if counts != "3 1 1":
            fail(f"the filter's counts are '{counts}', not '3 1 1'")
        browser.js("document.querySelectorAll('#filter input').forEach(b => { if (!b.checked)"
                   " b.click(); })")
        if any(r["hidden"] for r in browser.rows()):
            fail("rows stay hidden with every state checked")

        shot = browser.call("Page.captureScreenshot", {"format": "png"})
        with open(SCREENSHOT, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        with open(SCREENSHOT, "rb") as f:
            png = f.read()
        if not png.startswith(b"\x89PNG\r\n\x1a\n") or len(png) < 10000:
            fail(f"the screenshot is not a page: {len(png)} bytes")

        # The address filters: changing its fragment filters the open page.
        browser.js("location.hash = 'state=idle,down'")
        shown = wait_for("the filter from the address",
                         lambda: (lambda s: s if s == ["beta", "gamma"] else None)(
                             [r["name"] for r in browser.rows() if not r["hidden"]]), 5)

        # A page opened now, filtered from its address, starts with the same server counts.
        browser.call("Page.navigate", {"url": "about:blank"})
        browser.call("Page.navigate", {"url": server.base + "/#state=down"})
        wait_for("the filtered page live with 5 rows",
                 lambda: browser.js("document.getElementById('stream') &&"
                                    " document.getElementById('stream').textContent") == "live"
                 and len(browser.rows() or []) == 5, 20)
        rows = browser.rows()
        shown = [r["name"] for r in rows if not r["hidden"]]
        if shown != ["gamma"]:
            fail(f"/#state=down shows {shown}")
        if browser.row("beta")["changes"] != "4" or browser.row("gamma")["last_exit"] != "error":
            fail(f"a new page does not start from the server's counts: {rows}")
    finally:
        if browser:
            browser.close()
    server.stop()
    shutil.rmtree(profile, ignore_errors=True)
    print(f"{ME}: 5 rows in name order; idle, text, down and the filter shown live; "
          f"screenshot {SCREENSHOT}")


main()
