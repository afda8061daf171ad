"""What became of every write of a workload history (lab/workload.py's
JSON lines), in the manner of Jepsen's set checker:

  lost           acknowledged, but not in the final read
  duplicated     in the final read more than once
  indeterminate  failed or unanswered, yet present (the client was told
                 no, or nothing, but the write happened)
  unexpected     present but never attempted by this run

and what the client saw: outages, each from the first failed request to
the first good one after it, attributed to the drill (event) during whose
window they began.

Pure functions over lists of dicts, so tests/integration/test_lab_checker.py
checks them on recorded histories.
"""
import collections
import json


def load(path):
    """A history file's records; a line cut short by a crash is skipped."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def outages(history):
    """[(start, end)] client-visible outages: from the moment the first
    request that will fail was sent (not when it timed out) to the
    completion of the first good request after it; an outage still open at
    the end of the history ends at None."""
    sent = {r["id"]: r["t"] for r in history if r.get("type") == "invoke"}
    spans = []
    start = None
    for rec in sorted((r for r in history if r.get("type") in ("ok", "fail", "info")), key=lambda r: r["t"]):
        if rec["type"] == "ok":
            if start is not None:
                spans.append((start, rec["t"]))
                start = None
        elif start is None:
            start = sent.get(rec.get("id"), rec["t"])
    if start is not None:
        spans.append((start, None))
    return spans


def check(history):
    """The verdict on one history: a dict of counts, id lists and outages."""
    attempted, acked, failed, unanswered = set(), set(), set(), set()
    final = None
    for rec in history:
        kind = rec.get("type")
        if kind == "invoke":
            attempted.add(rec["id"])
        elif kind == "ok":
            acked.add(rec["id"])
        elif kind == "fail":
            failed.add(rec["id"])
        elif kind == "info":
            unanswered.add(rec["id"])
        elif kind == "final":
            final = rec["ids"]
    result = {
        "attempted": len(attempted), "acknowledged": len(acked), "failed": len(failed),
        "unanswered": len(unanswered), "final_read": final is not None,
        "lost": [], "duplicated": [], "indeterminate": [], "unexpected": [],
        "outages": outages(history),
    }
    if final is None:
        result["valid"] = False
        result["why"] = "no final read: nothing can be said about lost writes"
        return result
    counts = collections.Counter(final)
    present = set(counts)
    result["present"] = len(present)
    result["lost"] = sorted(acked - present, key=_order)
    result["duplicated"] = sorted((i for i, n in counts.items() if n > 1), key=_order)
    result["indeterminate"] = sorted((failed | unanswered) & present, key=_order)
    result["unexpected"] = sorted(present - attempted, key=_order)
    # A write the server refused outright must not appear; one whose answer
    # was lost may. Both are reported; only lost, duplicated and unexpected
    # make the history invalid.
    result["refused_but_present"] = sorted(failed & present, key=_order)
    result["valid"] = not (result["lost"] or result["duplicated"] or result["unexpected"])
    result["why"] = "" if result["valid"] else ", ".join(
        f"{len(result[k])} {k}" for k in ("lost", "duplicated", "unexpected") if result[k])
    return result


def _order(wid):
    run, _, n = str(wid).rpartition("-")
    return (run, int(n)) if n.isdigit() else (str(wid), 0)


def drill_windows(events, end):
    """[(name, start, end)] from drill events ({"t", "name", "phase": start})
    in time order; each window lasts until the next drill starts."""
    starts = sorted((e for e in events if e.get("phase") == "start"), key=lambda e: e["t"])
    out = []
    for i, e in enumerate(starts):
        stop = starts[i + 1]["t"] if i + 1 < len(starts) else end
        out.append((e["name"], e["t"], stop))
    return out


def outage_per_drill(history, events):
    """{window index: (name, outage seconds, [spans])}: the client-visible
    outage of each drill, the sum of the outages that began in its window
    (an outage still open at the end counts to the history's end)."""
    times = [r["t"] for r in history if "t" in r]
    end = max(times) if times else 0
    res = {}
    spans = outages(history)
    for i, (name, start, stop) in enumerate(drill_windows(events, end)):
        mine = [(a, b) for a, b in spans if start <= a < stop]
        total = sum((b if b is not None else end) - a for a, b in mine)
        res[i] = (name, total, mine)
    return res


def throughput(history, bucket=0.5):
    """[(bucket start, acknowledged, failed)] over the history's span."""
    recs = [r for r in history if r.get("type") in ("ok", "fail", "info")]
    if not recs:
        return []
    t0 = min(r["t"] for r in recs)
    n = int((max(r["t"] for r in recs) - t0) / bucket) + 1
    ok, bad = [0] * n, [0] * n
    for r in recs:
        i = int((r["t"] - t0) / bucket)
        (ok if r["type"] == "ok" else bad)[i] += 1
    return [(t0 + i * bucket, ok[i], bad[i]) for i in range(n)]
