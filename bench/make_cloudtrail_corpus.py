#!/usr/bin/env python3
"""Writes MB megabytes of CloudTrail NDJSON for the whole-process benchmarks.

    python3 bench/make_cloudtrail_corpus.py MB OUT.jsonl

Every record of ../shared/data/cloudtrail (Records documents, arrays, NDJSON;
gzip) is cycled until MB * 10^6 bytes are written, one compact record per
line, with eventTime spread over one day (so replay evaluates real minutes).
Run from the repository root. Nothing is downloaded.
"""
import datetime, gzip, json, os, sys
target = int(sys.argv[1]) * 1_000_000
records = []
for root, _, files in os.walk("../shared/data/cloudtrail"):
    for name in sorted(files):
        path = os.path.join(root, name)
        opener = gzip.open if name.endswith(".gz") else open
        try:
            with opener(path, "rt") as f:
                text = f.read()
            try:
                doc = json.loads(text)
                items = doc.get("Records", []) if isinstance(doc, dict) else doc
            except ValueError:
                items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except Exception:
            continue
        records += [r for r in items if isinstance(r, dict) and "eventName" in r]
start = datetime.datetime(2024, 1, 1)
written, i = 0, 0
with open(sys.argv[2], "w") as out:
    while written < target:
        r = dict(records[i % len(records)])
        r["eventTime"] = (start + datetime.timedelta(seconds=(i * 7) % 86400)).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = json.dumps(r, separators=(",", ":")) + "\n"
        out.write(line)
        written += len(line)
        i += 1
print(f"generated {i} events, {written/1e6:.0f} MB", file=sys.stderr)
