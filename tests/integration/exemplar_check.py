"""Read the exemplars of an OpenMetrics exposition with Debian's parser.

Usage: /usr/bin/python3 exemplar_check.py PREFIX

Parses PREFIX.om with prometheus_client.openmetrics.parser (which refuses
a malformed exemplar) and compares the exemplar of every sample with
PREFIX.expect (written by exemplar_render from what it set): each
expected exemplar on its sample with the same labels, value and
timestamp, and no exemplar anywhere else. Exits 1 listing the
differences.
"""
import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def main(prefix):
    expected = {}
    with open(prefix + ".expect", encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            key = (item["sample"], tuple(sorted(item["labels"].items())))
            expected[key] = item
    with open(prefix + ".om", encoding="utf-8") as handle:
        text = handle.read()
    problems = []
    seen = set()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            want = expected.get(key)
            got = sample.exemplar
            if want is None:
                if got is not None:
                    problems.append("unexpected exemplar on %r: %r" % (key, got))
                continue
            seen.add(key)
            if got is None:
                problems.append("no exemplar on %r" % (key,))
                continue
            if got.labels != want["exemplar"]:
                problems.append("%r: labels %r, want %r" % (key, got.labels, want["exemplar"]))
            if got.value != want["value"]:
                problems.append("%r: value %r, want %r" % (key, got.value, want["value"]))
            stamp = float(got.timestamp)
            if stamp != want["timestamp"]:
                problems.append("%r: timestamp %r, want %r" % (key, stamp, want["timestamp"]))
    for key in expected:
        if key not in seen:
            problems.append("sample %r missing" % (key,))
    for problem in problems:
        print(problem)
    if not expected:
        problems.append("nothing expected")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
