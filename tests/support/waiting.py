"""waiting.py - failing and polling for the Python tests (imported with
tests/support on sys.path)."""
import sys
import time

# The name failures are reported under; each test sets it.
test_name = "test"


def fail(message):
    print(f"{test_name}: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def wait_for(what, predicate, seconds):
    """Poll predicate() until it returns a true value and return it; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.05)
    fail(f"{what} not seen within {seconds} s (last: {last!r})")
