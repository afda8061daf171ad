"""halb-lab report: a text summary of drill runs (per drill: outage, lost,
duplicated, indeterminate, VIP holder, takeover log excerpt) and a
timeline picture (SVG; PNG too when rsvg-convert is installed) of
throughput and errors over time with the drill events marked.

Works on the files drills.run() leaves in runs/<id>/, so it can be checked
on recorded runs (tests/integration/test_lab_checker.py).
"""
import html
import json
import os
import shutil
import subprocess

import checker


def load_runs(state_dir, only=None):
    root = os.path.join(state_dir, "runs")
    runs = []
    for rid in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        if only and rid != only:
            continue
        p = os.path.join(root, rid, "result.json")
        try:
            with open(p) as f:
                r = json.load(f)
        except (OSError, ValueError):
            continue
        r["dir"] = os.path.join(root, rid)
        runs.append(r)
    return runs


def _fmt_s(v):
    return "-" if v is None else f"{v:.2f} s"


def text(runs):
    out = []
    for r in runs:
        out.append(f"run {r['id']} ({r['mode']}): {r.get('label', '')}")
        if r.get("workload"):
            out.append(f"  workload: unavailable: {r['workload']}")
        out.append(f"  {'drill':<16} {'outage':>9} {'lost':>5} {'dup':>5} {'indet':>6} {'takeover':>9}  VIP")
        for d in r["drills"]:
            if "skipped" in d:
                out.append(f"  {d['name']:<16} skipped: {d['skipped']}")
                continue
            wl = "outage_s" in d
            cells = [_fmt_s(d.get("outage_s")) if wl else "n/a"] + [
                str(d.get(k, "-")) if wl else "n/a" for k in ("lost", "duplicated", "indeterminate")]
            out.append(f"  {d['name']:<16} {cells[0]:>9} {cells[1]:>5} {cells[2]:>5} {cells[3]:>6} "
                       f"{_fmt_s(d.get('takeover_s')):>9}  {d.get('holder_before')} -> {d.get('holder_after')}"
                       + ("" if d.get("ok", True) else f"  FAILED: {d.get('error', '').splitlines()[0]}"))
            for n in d.get("notes", []):
                out.append(f"  {'':<16} {n}")
            if d.get("takeover_log"):
                out.append(f"  {'':<16} takeover log ({d.get('holder_after')}):")
                out.extend(f"  {'':<18}{line}" for line in d["takeover_log"][:8])
        v = r.get("verdict")
        if v:
            out.append(f"  writes: {v['attempted']} attempted, {v['acknowledged']} acknowledged, "
                       f"{v['failed']} failed, {v['unanswered']} unanswered; "
                       f"{v.get('present', '?')} present at the end")
            out.append(f"  checker: {'VALID' if v['valid'] else 'INVALID: ' + v['why']}; "
                       f"lost {len(v['lost'])}, duplicated {len(v['duplicated'])}, "
                       f"indeterminate {len(v['indeterminate'])}, unexpected {len(v['unexpected'])}")
            for k in ("lost", "duplicated", "unexpected"):
                if v[k]:
                    out.append(f"    {k}: {', '.join(map(str, v[k][:10]))}{' ...' if len(v[k]) > 10 else ''}")
        out.append("")
    return "\n".join(out) if out else "no drill runs yet (halb-lab drill ...)"


# ---- picture -----------------------------------------------------------------

W, PANEL_H, LEFT, RIGHT, TOP = 900, 220, 60, 20, 40


def _panel(r, y0, history):
    """One run's panel: acknowledged writes per second (green) and errors
    (red) per 0.5 s bucket, drill faults (orange) and heals (blue)."""
    t0 = r["started"]
    t1 = max(r.get("ended", t0 + 1), t0 + 1)
    span = t1 - t0
    plot_w = W - LEFT - RIGHT
    plot_h = PANEL_H - 70
    base = y0 + 30 + plot_h
    x = lambda t: LEFT + (t - t0) / span * plot_w  # noqa: E731
    parts = [f'<text x="{LEFT}" y="{y0 + 18}" font-size="13" font-weight="bold">'
             f'{html.escape(r["id"])} ({r["mode"]}): {html.escape(r.get("label", ""))}</text>',
             f'<rect x="{LEFT}" y="{y0 + 30}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>']
    buckets = checker.throughput(history, 0.5) if history else []
    peak = max([ok + bad for _, ok, bad in buckets] + [1]) * 2  # per second
    if buckets:
        pts = " ".join(f"{x(t):.1f},{base - ok * 2 / peak * plot_h:.1f}" for t, ok, _ in buckets)
        parts.append(f'<polyline points="{pts}" fill="none" stroke="#2a2" stroke-width="1.5"/>')
        bw = max(1.0, 0.5 / span * plot_w)
        for t, _, bad in buckets:
            if bad:
                h = bad * 2 / peak * plot_h
                parts.append(f'<rect x="{x(t):.1f}" y="{base - h:.1f}" width="{bw:.1f}" height="{h:.1f}" fill="#d22"/>')
        parts.append(f'<text x="{LEFT - 5}" y="{y0 + 40}" font-size="10" text-anchor="end">{peak}/s</text>')
    else:
        parts.append(f'<text x="{LEFT + 10}" y="{y0 + 90}" font-size="11" fill="#666">no workload: '
                     f'{html.escape(str(r.get("workload") or ""))[:110]}</text>')
    ran = [d for d in r["drills"] if "start" in d]
    free_from = [0.0, 0.0, 0.0]  # three rows of labels; a label goes where it fits
    for d in ran:
        xs, xh = x(d["start"]), x(d["healed"])
        parts.append(f'<line x1="{xs:.1f}" y1="{y0 + 30}" x2="{xs:.1f}" y2="{base}" stroke="#e80" stroke-width="1.5"/>')
        parts.append(f'<line x1="{xh:.1f}" y1="{y0 + 30}" x2="{xh:.1f}" y2="{base}" stroke="#36c" '
                     f'stroke-dasharray="3,3"/>')
        for row, free in enumerate(free_from):
            if xs >= free:
                parts.append(f'<text x="{xs + 2:.1f}" y="{y0 + 42 + 12 * row}" font-size="10" '
                             f'fill="#b60">{html.escape(d["name"])}</text>')
                free_from[row] = xs + 6 * len(d["name"]) + 6
                break
    # Who held the VIP: a band under the plot, one colour per director.
    colours = {"ndb1": "#7a5", "ndb2": "#a7c"}
    holder, since = (ran[0].get("holder_before") if ran else None), t0
    for d in ran + [None]:
        until = d["start"] if d else t1
        if holder in colours and until > since:
            parts.append(f'<rect x="{x(since):.1f}" y="{base + 2}" width="{x(until) - x(since):.1f}" height="4" '
                         f'fill="{colours[holder]}"/>')
        if d:
            holder, since = d.get("holder_after"), d["start"] + (d.get("takeover_s") or 0)
    for i in range(0, int(span) + 1, max(1, int(span / 10) or 1)):
        parts.append(f'<text x="{x(t0 + i):.1f}" y="{base + 17}" font-size="10" text-anchor="middle">{i}s</text>')
    parts.append(f'<text x="{LEFT}" y="{base + 30}" font-size="10" fill="#444">green: acknowledged writes/s, '
                 f'red: failed requests/s, orange: fault, blue dashed: healed; band: VIP on '
                 f'ndb1 (green) / ndb2 (violet)</text>')
    return parts


def svg(runs):
    h = TOP + PANEL_H * max(1, len(runs))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" font-family="sans-serif">',
             f'<rect width="{W}" height="{h}" fill="white"/>',
             f'<text x="{LEFT}" y="24" font-size="16" font-weight="bold">halb-lab drills</text>']
    for i, r in enumerate(runs):
        hist_path = os.path.join(r.get("dir", ""), "history.jsonl")
        history = checker.load(hist_path) if os.path.exists(hist_path) else []
        parts += _panel(r, TOP + i * PANEL_H, history)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_picture(runs, path):
    """Write the SVG (and a PNG beside it when rsvg-convert exists); the paths written."""
    with open(path, "w") as f:
        f.write(svg(runs))
    written = [path]
    conv = shutil.which("rsvg-convert")
    if conv:
        png = os.path.splitext(path)[0] + ".png"
        if subprocess.run([conv, "-o", png, path], capture_output=True).returncode == 0:
            written.append(png)
    return written
