"""The seed's destructive tests, and the ones it implies, as drills that
run on a ClusterLab under the workload: each injects one fault, waits for
the system to react, heals, and records what the client and the daemons
saw. `run()` runs a list of them (or `--chaos N --seed S`, a random list)
in one workload session and writes runs/<id>/{history,events,result}.json*.
"""
import json
import os
import random
import re
import signal
import subprocess
import time

import checker
import seed
import workload
from clusterlab import LabError, pid_alive

# Lines of the new holder's ha-log that tell the takeover's story.
TAKEOVER_WORDS = ("is dead", "Link ", "Resources being acquired", "mach_down", "IPaddr2", "Running ",
                  "Acquiring", "giving up", "Giving up", "ping", "shutdown notice", "takeover", "ipfail")


class Drill:
    name = ""
    summary = ""
    modes = ("netns", "loopback")
    needs_sqld = False
    moves_vip = False
    in_chaos = True  # drawn by --chaos
    unavailable = None  # a reason, when the drill cannot run at all yet

    def why_not(self, lab):
        if self.unavailable:
            return self.unavailable
        if lab.mode not in self.modes:
            return f"needs {' or '.join(self.modes)} mode (this lab is {lab.mode})"
        if self.needs_sqld and not lab.st["sqld"]:
            return lab.sqld_reason()
        return None

    def fault(self, lab, ctx):
        raise NotImplementedError

    def settle(self, lab, ctx):
        """Wait until the fault has had its effect."""
        time.sleep(ctx.get("settle", 3.0))

    def heal(self, lab, ctx):
        raise NotImplementedError


# Where wait() says it is still waiting (a long node restart); run() sets it.
progress_hook = None


def wait(pred, timeout, what):
    t0 = time.monotonic()
    said = t0
    while not pred():
        now = time.monotonic()
        if now - t0 > timeout:
            raise LabError(f"timed out after {timeout} s waiting for {what}")
        if progress_hook and now - said >= 5:
            said = now
            progress_hook(f"    ... waiting for {what}: {now - t0:.0f} s")
        time.sleep(0.05)


def wait_restarted(lab, name, pred, timeout, what):
    """wait() for a daemon the drill restarted; a time-out says whether it
    is still running and how its log ends, which is what the operator (or
    a failing test) needs to see next."""
    try:
        wait(pred, timeout, what)
    except LabError as e:
        state = "still running" if lab.pid(name) else "not running"
        tail = ""
        log = lab.st["procs"].get(name, {}).get("log")
        if log and os.path.exists(log):
            with open(log, errors="replace") as f:
                lines = [ln.rstrip() for ln in f.readlines()[-4:]]
            tail = "; its log ends: " + " | ".join(lines)
        raise LabError(f"{e} ({name} {state}{tail})") from None


class _DirectorDrill(Drill):
    moves_vip = True

    def settle(self, lab, ctx):
        before = ctx["holder_before"]
        other = "ndb2" if before == "ndb1" else "ndb1"
        wait(lambda: lab.vip_holder() == other, 30, f"the VIP on {other}")
        ctx["takeover_s"] = time.time() - ctx["t_fault"]
        # halb-director on the new holder, then the VIP's service through it
        wait(lambda: lab.director_pid(other) is not None, 20, f"halb-director on {other}")
        # The virtual service on the new holder's forwarding engine.
        wait(lambda: f"{lab.t.vip}:{lab.t.port}" in lab.ipvs_table(other), 20, f"the virtual service on {other}")
        ctx["notes"].append(f"{other}'s table: " + " | ".join(
            " ".join(l.split()) for l in lab.ipvs_table(other).splitlines()[3:] if l.strip()))

    def wait_pair(self, lab, host):
        other = "ndb2" if host == "ndb1" else "ndb1"
        wait(lambda: lab.hbctl(other, "nodestatus", host)[1] == "active", 30, f"{other} seeing {host} again")


class DirectorKill(_DirectorDrill):
    name = "director-kill"
    summary = "kill -9 the active director (the machine dies: every daemon on it, links down)"

    def fault(self, lab, ctx):
        lab.crash_host(ctx["holder_before"])
        return f"{ctx['holder_before']} crashed"

    def heal(self, lab, ctx):
        host = ctx["holder_before"]
        lab.revive_host(host)
        wait(lambda: lab.pid(f"hb-{host}") and lab.hbctl(host, "hbstatus")[0] == 0, 20, f"heartbeat on {host}")
        self.wait_pair(lab, host)
        wait(lambda: lab.mgm_reachable(host), 20, f"halb-mgmd on {host}")
        return f"{host} booted again (auto_failback off: the VIP stays)"


class DirectorStop(_DirectorDrill):
    name = "director-stop"
    summary = "graceful stop of heartbeat on the active director (/etc/init.d/heartbeat stop)"

    def fault(self, lab, ctx):
        lab.kill(f"hb-{ctx['holder_before']}", signal.SIGTERM, wait=30)
        return f"heartbeat on {ctx['holder_before']} stopped"

    def heal(self, lab, ctx):
        host = ctx["holder_before"]
        lab.start(f"hb-{host}", host, lab.heartbeat_argv(host))
        self.wait_pair(lab, host)
        return f"heartbeat on {host} started again"


class _NodeKill(Drill):
    role = ""

    def victim(self, lab, ctx):
        return ctx["rng"].choice(self.hosts)

    def fault(self, lab, ctx):
        host = ctx["victim"] = self.victim(lab, ctx)
        lab.kill(f"{self.role}-{host}", signal.SIGKILL)
        return f"{self.role} on {host} killed (SIGKILL)"


def bring_data_nodes_back(lab, hosts, ctx, timeout=120):
    """Start the data nodes of `hosts` that are not running and wait until
    all are started, starting again one that exits during its node
    restart, as NDB's angel process does (a restart can fail: a peer that
    dies or declares the newcomer dead meanwhile). Each such second start
    is noted: the drill still heals, the report shows it."""
    tries = {h: 0 for h in hosts}

    def started():
        for h in hosts:
            if lab.pid(f"ndbd-{h}"):
                continue
            # Not running: the loser that has now exited, or a restart that failed.
            if tries[h] >= 3:
                raise LabError(f"ndbd on {h} exited {tries[h]} times while restarting")
            if tries[h]:
                ctx["notes"].append(f"ndbd on {h} exited during its restart; started again")
            tries[h] += 1
            lab.start(f"ndbd-{h}", h, lab.ndbd_argv(h))
        return all(lab.ndbd_status(h) == "started" for h in hosts)

    wait(started, timeout, "data nodes " + ", ".join(hosts) + " started")


class DataNodeKill(_NodeKill):
    name = "ndbd-kill"
    summary = "kill -9 one data node; the other replica carries on, the restarted node copies back"
    role = "ndbd"
    hosts = seed.REALS

    def settle(self, lab, ctx):
        other = "sql2" if ctx["victim"] == "sql1" else "sql1"
        wait(lambda: lab.ndbd_status(ctx["victim"]) != "started", 20, "the data node seen down")
        ctx["notes"].append(f"survivor {other}: {lab.ndbd_status(other)}")
        time.sleep(ctx.get("settle", 3.0))

    def heal(self, lab, ctx):
        host = ctx["victim"]
        bring_data_nodes_back(lab, [host], ctx)
        return f"ndbd on {host} restarted and started"


class SqlNodeKill(_NodeKill):
    name = "sqld-kill"
    summary = "kill -9 the SQL node on one real server; the director's mysql check quiesces it"
    role = "sqld"
    hosts = seed.REALS
    needs_sqld = True

    def heal(self, lab, ctx):
        host = ctx["victim"]
        lab.start(f"sqld-{host}", host, lab.sqld_argv(host))
        wait_restarted(lab, f"sqld-{host}", lambda: lab.port_open(host, lab.t.hosts[host], lab.t.port), 30,
                       f"halb-sqld on {host}")
        return f"sqld on {host} restarted"


class MgmdKill(_NodeKill):
    name = "mgmd-kill"
    summary = "kill -9 one management server; the cluster runs on without it"
    role = "mgmd"
    hosts = seed.DIRECTORS

    def settle(self, lab, ctx):
        time.sleep(ctx.get("settle", 3.0))
        states = {h: lab.ndbd_status(h) for h in seed.REALS}
        ctx["notes"].append("data nodes: " + ", ".join(f"{h} {s or '?'}" for h, s in states.items()))

    def heal(self, lab, ctx):
        host = ctx["victim"]
        lab.start(f"mgmd-{host}", host, lab.mgmd_argv(host))
        wait_restarted(lab, f"mgmd-{host}", lambda: lab.mgm_reachable(host), 20, f"halb-mgmd on {host}")
        return f"mgmd on {host} restarted"


class CrossoverCut(Drill):
    name = "crossover-cut"
    summary = "cut the eth1 crossover; heartbeat carries on over ucast on the LAN, the VIP stays"
    modes = ("netns",)

    def fault(self, lab, ctx):
        lab.set_crossover(False)
        return "crossover eth1 down"

    def settle(self, lab, ctx):
        time.sleep(float(lab.t.deadtime) * 2)
        ctx["notes"].append(f"ndb2 sees ndb1 {lab.hbctl('ndb2', 'nodestatus', 'ndb1')[1]}")

    def heal(self, lab, ctx):
        lab.set_crossover(True)
        return "crossover eth1 up"


class LanCut(_DirectorDrill):
    name = "lan-cut"
    summary = "unplug the active director's LAN cable; ipfail (ping node: the gateway) hands the VIP over"
    modes = ("netns",)

    def fault(self, lab, ctx):
        lab.set_lan(ctx["holder_before"], False)
        return f"{ctx['holder_before']}'s LAN port unplugged at the switch"

    def heal(self, lab, ctx):
        host = ctx["holder_before"]
        lab.set_lan(host, True)
        self.wait_pair(lab, host)
        return f"{host}'s LAN port plugged back"


class DataPartition(Drill):
    name = "ndbd-partition"
    summary = "partition the two data nodes; arbitration (the management server) lets one half live"
    modes = ("netns",)

    def fault(self, lab, ctx):
        lab.partition_data_nodes(True)
        return "sql1 <-/-> sql2"

    def settle(self, lab, ctx):
        wait(lambda: any(lab.ndbd_status(h) != "started" for h in seed.REALS), 30, "one data node leaving")
        time.sleep(ctx.get("settle", 3.0))
        ctx["notes"].append("after arbitration: " + ", ".join(
            f"{h} {lab.ndbd_status(h) or 'gone'}" for h in seed.REALS))

    def heal(self, lab, ctx):
        lab.partition_data_nodes(False)
        # The loser may still be on its way out: it is started again once it has gone.
        bring_data_nodes_back(lab, list(seed.REALS), ctx)
        return "partition healed, the loser restarted"


class FillDataMemory(Drill):
    name = "datamemory-fill"
    summary = "fill DataMemory (the seed's 'table is full'): error 1114, the cluster stays up, space is freed"
    needs_sqld = True

    def fault(self, lab, ctx):
        r = lab.run_in("client", [lab.python, os.path.join(lab.here, "workload.py"), "fill",
                                  *workload.connect_args(lab.t, lab.t.vip)], timeout=600)
        if r.returncode != 0:
            ctx["fill_error"] = (r.stderr.strip() or r.stdout.strip()).splitlines()[-1:]
            return f"filling failed: {ctx['fill_error']}"
        ctx["notes"].append(r.stdout.strip().splitlines()[-1])
        return "filler rows inserted until the table was full"

    def settle(self, lab, ctx):
        if ctx.get("fill_error"):
            raise LabError(f"the table never became full: {ctx['fill_error']}")
        time.sleep(ctx.get("settle", 3.0))

    def heal(self, lab, ctx):
        r = lab.run_in("client", [lab.python, os.path.join(lab.here, "workload.py"), "unfill",
                                  *workload.connect_args(lab.t, lab.t.vip)], timeout=300)
        return "filler dropped" + ("" if r.returncode == 0 else f" (failed: {r.stderr.strip()[-200:]})")


class SystemRestart(Drill):
    """The seed's whole-cluster restart: every data node at once, through
    the management server (ALL RESTART, graceful), the cluster coming back
    from the data nodes' own files. halb-ndbd restarts in place (same pid,
    as NDB's angel would start it again)."""
    name = "system-restart"
    summary = "restart everything (ALL RESTART: a system restart from the data nodes' disk)"

    def fault(self, lab, ctx):
        out = lab.mgm("ALL RESTART", timeout=60).strip()
        ctx["notes"].append("ALL RESTART: " + (out.splitlines()[-1] if out else "no answer"))
        return "every data node restarting (system restart)"

    def settle(self, lab, ctx):
        wait(lambda: all(lab.ndbd_status(h) != "started" for h in seed.REALS), 30, "both data nodes leaving")

    def heal(self, lab, ctx):
        bring_data_nodes_back(lab, list(seed.REALS), ctx, timeout=180)
        return "the cluster started again from the data nodes' files"


ALL = [DirectorKill(), DirectorStop(), DataNodeKill(), SqlNodeKill(), MgmdKill(), CrossoverCut(), LanCut(),
       DataPartition(), FillDataMemory(), SystemRestart()]
BY_NAME = {d.name: d for d in ALL}


def chaos_list(lab, n, seed_value, exclude=()):
    rng = random.Random(seed_value)
    for name in exclude:
        if name not in BY_NAME:
            raise LabError(f"unknown drill {name!r}; known: {', '.join(BY_NAME)}")
    pool = [d.name for d in ALL if d.in_chaos and d.why_not(lab) is None and d.name not in exclude]
    if not pool:
        raise LabError("no drill can run on this lab")
    return [rng.choice(pool) for _ in range(n)]


_LOG_TIME = re.compile(r"(\d{4}/\d\d/\d\d_\d\d:\d\d:\d\d\.\d+)")


def log_time(line):
    """The wall-clock time of a halb-heartbeat log line, or None."""
    m = _LOG_TIME.search(line)
    if not m:
        return None
    day, frac = m.group(1).split(".")
    return time.mktime(time.strptime(day, "%Y/%m/%d_%H:%M:%S")) + float("0." + frac)


def takeover_excerpt(text, since, until, limit=10):
    """The lines of an ha-log between the fault and the end of the
    takeover that tell its story."""
    out = []
    for line in text.splitlines():
        t = log_time(line)
        if t is not None and since <= t <= until and any(w in line for w in TAKEOVER_WORDS):
            out.append(line)
    return out[:limit]


class Workload:
    """The insert loop running in the client's namespace, through the VIP."""

    def __init__(self, lab, run_dir, tag, rate):
        self.stop_file = os.path.join(run_dir, "stop")
        self.history = os.path.join(run_dir, "history.jsonl")
        self.p = subprocess.Popen(
            lab.argv_in("client", [lab.python, os.path.join(lab.here, "workload.py"), "run",
                                   *workload.connect_args(lab.t, lab.t.vip), "--history", self.history,
                                   "--run", tag, "--stop-file", self.stop_file, "--rate", str(rate)]),
            stdout=open(os.path.join(run_dir, "workload.log"), "ab"), stderr=subprocess.STDOUT)

    def acknowledged(self):
        try:
            with open(self.history) as f:
                return sum(1 for line in f if '"type": "ok"' in line)
        except OSError:
            return 0

    def stop(self, timeout=120):
        open(self.stop_file, "w").close()
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(5)


def run(lab, names, progress=print, rate=0, settle=3.0, rng_seed=None, label=None):
    """Run the drills in order under one workload session; returns the
    run's result dict (also written to runs/<id>/result.json)."""
    for n in names:
        if n not in BY_NAME:
            raise LabError(f"unknown drill {n!r}; known: {', '.join(BY_NAME)}")
    run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    run_dir = os.path.join(lab.state_dir, "runs", run_id)
    os.makedirs(run_dir)
    global progress_hook
    progress_hook = progress
    rng = random.Random(rng_seed)
    events = []
    result = {"id": run_id, "label": label or " ".join(names), "mode": lab.mode, "started": time.time(),
              "drills": [], "workload": None if lab.st["sqld"] else lab.sqld_reason()}

    def event(**e):
        e.setdefault("t", time.time())
        events.append(e)
        with open(os.path.join(run_dir, "events.jsonl"), "a") as f:
            f.write(json.dumps(e) + "\n")

    wl = None
    if lab.st["sqld"]:
        wl = Workload(lab, run_dir, f"r{run_id.replace('-', '')}", rate)
        time.sleep(2.0)  # warm-up: a good request before the first fault
        progress(f"  workload running through {lab.t.vip}:{lab.t.port} ({wl.acknowledged()} acknowledged)")
    try:
        for i, name in enumerate(names, 1):
            d = BY_NAME[name]
            why = d.why_not(lab)
            rec = {"name": name, "summary": d.summary}
            if why:
                rec["skipped"] = why
                result["drills"].append(rec)
                progress(f"[{i}/{len(names)}] {name}: skipped ({why})")
                continue
            ctx = {"rng": rng, "settle": settle, "notes": [], "holder_before": lab.vip_holder()}
            ctx["t_fault"] = time.time()
            event(name=name, phase="start", t=ctx["t_fault"])
            rec["fault"] = d.fault(lab, ctx)
            progress(f"[{i}/{len(names)}] {name}: {rec['fault']}")
            try:
                d.settle(lab, ctx)
                rec["holder_during"] = lab.vip_holder()
                rec["heal"] = d.heal(lab, ctx)
                rec["ok"] = True
            except LabError as e:
                rec["ok"] = False
                rec["error"] = str(e)
                progress(f"    {name}: {e}")
            event(name=name, phase="healed")
            rec.update(start=ctx["t_fault"], healed=time.time(), holder_before=ctx["holder_before"],
                       holder_after=lab.vip_holder(), notes=ctx["notes"], takeover_s=ctx.get("takeover_s"),
                       victim=ctx.get("victim"))
            rec["vip_moved"] = rec["holder_after"] != rec["holder_before"]
            if d.moves_vip:
                until = ctx["t_fault"] + (ctx.get("takeover_s") or 0) + 1.0
                rec["takeover_log"] = takeover_excerpt(lab.ha_log(rec["holder_after"] or "ndb2"), ctx["t_fault"], until)
            line = f"    healed after {rec['healed'] - rec['start']:.1f} s; VIP {rec['holder_before']} -> {rec['holder_after']}"
            if rec.get("takeover_s") is not None:
                line += f", takeover {rec['takeover_s']:.2f} s"
            if wl:
                line += f"; {wl.acknowledged()} writes acknowledged so far"
            progress(line)
            result["drills"].append(rec)
            if not rec["ok"]:
                break
            time.sleep(1.0)  # good requests between two faults
    finally:
        if wl:
            wl.stop()
    result["ended"] = time.time()
    if wl:
        hist = checker.load(wl.history)
        verdict = checker.check(hist)
        per = checker.outage_per_drill(hist, events)
        windows = checker.drill_windows(events, result["ended"])
        ran = [r for r in result["drills"] if "start" in r]
        for (idx, (name, outage, spans)), rec, win in zip(sorted(per.items()), ran, windows):
            rec["outage_s"] = outage
            rec["outage_spans"] = spans
            inwin = lambda ids: [w for w in ids if win[1] <= _invoked(hist, w) < win[2]]  # noqa: E731
            rec["lost"] = len(inwin(verdict["lost"]))
            rec["duplicated"] = len(inwin(verdict["duplicated"]))
            rec["indeterminate"] = len(inwin(verdict["indeterminate"]))
        result["verdict"] = {k: v for k, v in verdict.items() if k != "outages"}
    with open(os.path.join(run_dir, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    return result


_inv_cache = {}


def _invoked(hist, wid):
    if _inv_cache.get("h") is not hist:
        _inv_cache["h"] = hist
        _inv_cache["m"] = {r["id"]: r["t"] for r in hist if r.get("type") == "invoke"}
    return _inv_cache["m"].get(wid, 0)
