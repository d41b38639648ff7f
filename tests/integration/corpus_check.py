"""Check the exposition corpus with Debian's prometheus_client parsers.

Usage: /usr/bin/python3 corpus_check.py PREFIX

Reads PREFIX.prom with prometheus_client.parser (text 0.0.4) and
PREFIX.om with prometheus_client.openmetrics.parser, and compares every
sample against PREFIX.expect (written by expose_corpus from the values it
set): the same samples, no more, no fewer, each value bit for bit (a
summary quantile within the estimator's relative error), and every help
text unchanged. Exits 1 with the differences listed.
"""
import json
import math
import struct
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as text_families

QUANTILE_ERROR = 1.0 / 64  # documented relative error of the summary estimator


def bits(value):
    return struct.unpack("<Q", struct.pack("<d", float(value)))[0]


def key(name, labels, bound, bound_bits):
    rest = tuple(sorted((k, v) for k, v in labels.items() if k != bound))
    return (name, rest, bound_bits)


def load_expectations(path):
    samples = {"text": {}, "om": {}}
    helps = {}
    with open(path, "rb") as handle:
        for line in handle.read().decode("utf-8").splitlines():
            item = json.loads(line)
            if "help" in item:
                helps[item["family"]] = item["help"]
                continue
            bound_bits = int(item["bound_bits"], 16) if item["bound"] else None
            entry = key(item["name"], item["labels"], item["bound"], bound_bits)
            for form in ("text", "om"):
                if item["formats"] in ("both", form):
                    if entry in samples[form]:
                        raise SystemExit("expectation listed twice: %r" % (entry,))
                    samples[form][entry] = item["value"]
    return samples, helps


def value_matches(expected, got):
    """True when the parsed value `got` is the expected one."""
    kind, _, text = expected.partition(":")
    if kind == "created":
        return math.isfinite(got) and got > 1.6e9
    if kind == "i":
        exact = int(text)
        if isinstance(got, int):
            return got == exact
        return bits(got) == bits(float(exact))  # float(int) rounds once, to nearest
    want = struct.unpack("<d", struct.pack("<Q", int(text, 16)))[0]
    if kind == "b":
        if math.isnan(want):
            return math.isnan(got)
        return bits(got) == bits(want)
    if kind == "q":
        if math.isnan(want):
            return math.isnan(got)
        return (got < 0) == (want < 0) and abs(got - want) <= abs(want) * QUANTILE_ERROR * 1.001
    raise ValueError("unknown expectation " + expected)


def check(form, text, parse, expected, helps, problems):
    seen = {}
    documented = {}
    for family in parse(text):
        documented[family.name] = family.documentation
        for sample in family.samples:
            bound = None
            if sample.name.endswith("_bucket") and "le" in sample.labels:
                bound = "le"
            elif family.type == "summary" and sample.name == family.name:
                bound = "quantile"
            bound_bits = bits(float(sample.labels[bound])) if bound else None
            entry = key(sample.name, sample.labels, bound, bound_bits)
            if entry in seen:
                problems.append("%s: sample %r read twice" % (form, entry))
            seen[entry] = sample.value
    for entry, want in expected.items():
        if entry not in seen:
            problems.append("%s: missing %r (expected %s)" % (form, entry, want))
        elif not value_matches(want, seen[entry]):
            problems.append("%s: %r is %r, expected %s" % (form, entry, seen[entry], want))
    for entry in seen:
        if entry not in expected:
            problems.append("%s: unexpected sample %r = %r" % (form, entry, seen[entry]))
    for name, help_text in helps.items():
        if documented.get(name) != help_text:
            problems.append(
                "%s: help of %s is %r, expected %r" % (form, name, documented.get(name), help_text)
            )
    return len(seen)


def main():
    prefix = sys.argv[1]
    expected, helps = load_expectations(prefix + ".expect")
    problems = []
    counts = []
    for form, extension, parse in (
        ("text", ".prom", text_families),
        ("om", ".om", openmetrics_families),
    ):
        # Bytes decoded as they are: no newline translation, a CR stays a CR.
        with open(prefix + extension, "rb") as handle:
            text = handle.read().decode("utf-8")
        try:
            counts.append(check(form, text, parse, expected[form], helps, problems))
        except ValueError as error:
            problems.append("%s: the parser refused the exposition: %s" % (form, error))
    if problems:
        print("\n".join(problems[:200]), file=sys.stderr)
        print("%d problems" % len(problems), file=sys.stderr)
        return 1
    print("text: %d samples, OpenMetrics: %d samples, all as expected" % tuple(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
