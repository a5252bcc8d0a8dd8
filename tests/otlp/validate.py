#!/usr/bin/env python3
"""Strict validation of OTLP/JSON trace exports.

Reads files holding one ExportTraceServiceRequest (or, with --lines, one
per line) and checks what viewers enforce and generators often get wrong:

- traceId is 32 and spanId/parentSpanId 16 lowercase hex digits, never all
  zero (checked first: protobuf's JSON parser decodes these fields as
  base64, so it would accept wrong ids silently);
- kind and status.code are integers in range, times are decimal strings of
  nanoseconds with start <= end, parents exist in the same trace;
- the whole document parses with protobuf's JSON parser with unknown
  fields rejected.

Prints `ok PATH spans=N traces=M` per file; exits 1 on the first error.
Needs `pip install opentelemetry-proto`.
"""
import json
import re
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
DIGITS = re.compile(r"^[0-9]+$")


class Invalid(Exception):
    pass


def check_request(text, where):
    doc = json.loads(text)
    if set(doc) - {"resourceSpans"}:
        raise Invalid(f"{where}: unknown top-level keys {set(doc) - {'resourceSpans'}}")
    spans = traces = 0
    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            ids = {}
            for sp in ss.get("spans", []):
                name = sp.get("name", "?")
                tid, sid = sp.get("traceId", ""), sp.get("spanId", "")
                if not HEX32.match(tid) or tid == "0" * 32:
                    raise Invalid(f"{where}: span {name!r}: traceId {tid!r} is not 32 lowercase hex digits (or is zero)")
                if not HEX16.match(sid) or sid == "0" * 16:
                    raise Invalid(f"{where}: span {name!r}: spanId {sid!r} is not 16 lowercase hex digits (or is zero)")
                if "parentSpanId" in sp and not HEX16.match(sp["parentSpanId"]):
                    raise Invalid(f"{where}: span {name!r}: parentSpanId {sp['parentSpanId']!r} is not 16 hex digits")
                if sid in ids:
                    raise Invalid(f"{where}: span {name!r}: spanId {sid} is used twice")
                ids[sid] = tid
                if not isinstance(sp.get("kind"), int) or not 0 <= sp["kind"] <= 5:
                    raise Invalid(f"{where}: span {name!r}: kind {sp.get('kind')!r} is not an integer enum")
                status = sp.get("status", {})
                if "code" in status and (not isinstance(status["code"], int) or not 0 <= status["code"] <= 2):
                    raise Invalid(f"{where}: span {name!r}: status.code {status['code']!r} is not an integer enum")
                start, end = sp.get("startTimeUnixNano", ""), sp.get("endTimeUnixNano", "")
                if not (isinstance(start, str) and DIGITS.match(start) and isinstance(end, str) and DIGITS.match(end)):
                    raise Invalid(f"{where}: span {name!r}: times must be decimal strings of nanoseconds")
                if int(start) > int(end):
                    raise Invalid(f"{where}: span {name!r}: starts after it ends")
                for ev in sp.get("events", []):
                    if not DIGITS.match(ev.get("timeUnixNano", "")):
                        raise Invalid(f"{where}: span {name!r}: event time is not a decimal string")
                spans += 1
            for sp in ss.get("spans", []):
                parent = sp.get("parentSpanId")
                if parent and ids.get(parent) != sp["traceId"]:
                    raise Invalid(f"{where}: span {sp.get('name')!r}: parent {parent} is not a span of its trace")
            traces += len(set(ids.values()))
    # Strict: unknown fields are errors.
    json_format.Parse(text, ExportTraceServiceRequest(), ignore_unknown_fields=False)
    return spans, traces


def main():
    args = sys.argv[1:]
    lines = "--lines" in args
    paths = [a for a in args if a != "--lines"]
    if not paths:
        sys.exit("usage: validate.py [--lines] FILE...")
    failed = False
    for path in paths:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
        docs = [l for l in text.splitlines() if l.strip()] if lines else [text]
        try:
            total_spans = total_traces = 0
            for i, doc in enumerate(docs, 1):
                s, t = check_request(doc, f"{path}:{i}" if lines else path)
                total_spans += s
                total_traces += t
            print(f"ok {path} spans={total_spans} traces={total_traces}")
        except (Invalid, json_format.ParseError, json.JSONDecodeError) as e:
            print(f"error {path}: {e}")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
