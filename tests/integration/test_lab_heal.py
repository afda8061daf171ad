"""halb-lab's healing steps that the netns runs showed to be fragile, each
against a scripted stand-in (no namespaces, no daemons, a second or so):

- a data node drill's heal starts a data node again when it exits during
  its node restart (a peer declared it dead while it replayed its redo
  log: "node restart failed: node(s) 3 failed during it"), and waits for a
  partition's loser that has not exited yet instead of leaving it down;
- a management client that hangs (seen right after a management server
  was killed) makes a data node's state unknown, not the drill run crash;
- the DataMemory filler sends a batch again after the cluster's temporary
  error 1297 (it aborted the whole drill before) and counts a batch that
  got in after all (1062 on the retry);
- a restarted SQL node that never serves fails the heal saying whether it
  still runs and how its log ends (the lab's logs go with its state)."""
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import types
import unittest

from halb import SRC_DIR

sys.path.insert(0, os.path.join(SRC_DIR, "lab"))
import drills  # noqa: E402
import workload  # noqa: E402
import clusterlab  # noqa: E402
from clusterlab import LabError  # noqa: E402


class ScriptedLab:
    """Data nodes whose process lives for a scripted number of polls.
    lives[host]: for each start (the first is the one running at the
    heal, or None when none runs), how many polls it stays alive before it
    exits, or "starts" when it comes up and stays."""

    def __init__(self, lives):
        self.lives = {h: list(v) for h, v in lives.items()}
        self.current = {h: v.pop(0) if v else None for h, v in self.lives.items()}
        self.polls = {h: 0 for h in lives}
        self.starts = {h: 0 for h in lives}

    def _tick(self, host):
        life = self.current[host]
        if isinstance(life, int):
            self.polls[host] += 1
            if self.polls[host] > life:
                self.current[host] = None

    def pid(self, name):
        host = name.split("-", 1)[1]
        self._tick(host)
        return 4242 if self.current[host] is not None else None

    def start(self, name, host, argv):
        self.starts[host] += 1
        self.polls[host] = 0
        self.current[host] = self.lives[host].pop(0)

    def ndbd_argv(self, host):
        return ["halb-ndbd", host]

    def ndbd_status(self, host):
        return "started" if self.current[host] == "starts" else "starting"


class DataNodesBack(unittest.TestCase):
    def heal(self, lab, hosts):
        ctx = {"notes": []}
        drills.bring_data_nodes_back(lab, hosts, ctx, timeout=10)
        return ctx["notes"]

    def test_killed_node_started_once(self):
        lab = ScriptedLab({"sql1": [None, "starts"]})
        self.assertEqual(self.heal(lab, ["sql1"]), [])
        self.assertEqual(lab.starts, {"sql1": 1})

    def test_a_restart_that_fails_is_started_again_and_noted(self):
        lab = ScriptedLab({"sql1": ["starts"], "sql2": [None, 3, "starts"]})
        notes = self.heal(lab, ["sql1", "sql2"])
        self.assertEqual(lab.starts, {"sql1": 0, "sql2": 2})
        self.assertEqual(notes, ["ndbd on sql2 exited during its restart; started again"])

    def test_a_loser_still_on_its_way_out_is_started_once_gone(self):
        # Running (2 polls) when the partition heals: the old code saw a pid
        # and never started it; the heal then waited 120 s and failed.
        lab = ScriptedLab({"sql1": ["starts"], "sql2": [2, "starts"]})
        self.assertEqual(self.heal(lab, ["sql1", "sql2"]), [])
        self.assertEqual(lab.starts, {"sql1": 0, "sql2": 1})

    def test_a_node_that_keeps_failing_fails_the_heal(self):
        lab = ScriptedLab({"sql1": [None, 1, 1, 1, "starts"]})
        with self.assertRaisesRegex(LabError, "ndbd on sql1 exited 3 times while restarting"):
            self.heal(lab, ["sql1"])


class HangingMgm(unittest.TestCase):
    def test_a_management_client_that_hangs_is_an_unknown_state(self):
        lab = clusterlab.ClusterLab.__new__(clusterlab.ClusterLab)
        lab.program = lambda name: "/bin/false"
        lab.t = type("T", (), {"mgm_connectstring": lambda self: "host=127.0.0.1:1"})()

        def hang(host, argv, timeout=30, input=None):
            raise subprocess.TimeoutExpired(argv, timeout)

        lab.run_in = hang
        self.assertIn("no answer in 20 s", lab.mgm("3 STATUS"))
        self.assertEqual(lab.ndbd_status("sql1"), "")


class RestartNeverServes(unittest.TestCase):
    def test_the_time_out_names_the_state_and_the_log_tail(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        log = os.path.join(tmp.name, "sqld-sql1.log")
        with open(log, "w") as f:
            f.write("starting\nconnecting to the cluster\nERROR: cannot start: no free API slot\n")
        lab = types.SimpleNamespace(
            t=types.SimpleNamespace(hosts={"sql1": "192.0.2.1"}, port=3306),
            st={"procs": {"sqld-sql1": {"log": log}}},
            start=lambda name, host, argv: None, sqld_argv=lambda host: ["halb-sqld"],
            port_open=lambda host, addr, port: False, pid=lambda name: None)
        quick = drills.wait
        self.addCleanup(setattr, drills, "wait", quick)
        drills.wait = lambda pred, timeout, what: quick(pred, 0.1, what)
        with self.assertRaises(LabError) as e:
            drills.SqlNodeKill().heal(lab, {"victim": "sql1"})
        self.assertEqual(str(e.exception),
                         "timed out after 0.1 s waiting for halb-sqld on sql1 (sqld-sql1 not running; its log ends: "
                         "starting | connecting to the cluster | ERROR: cannot start: no free API slot)")


class FakeError(Exception):
    pass


class FakeCursor:
    def __init__(self, script, log):
        self.script = script
        self.log = log

    def execute(self, sql):
        self.log.append(sql.split()[0])

    def executemany(self, sql, rows):
        self.log.append(rows[0][0])
        code = self.script.pop(0) if self.script else 1114
        if code:
            raise FakeError(code, f"error {code}")


class FakeConnection:
    def __init__(self, script, log):
        self.c = FakeCursor(script, log)

    def cursor(self):
        return self.c


class Filler(unittest.TestCase):
    def fill(self, script, retries=20):
        log = []
        connects = []

        def connect(a, database=True, timeout=2.0):
            connects.append(1)
            return FakeConnection(script, log)

        saved, saved_sleep = workload._connect, workload.time.sleep
        workload._connect = connect
        workload.time.sleep = lambda s: None
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                workload.fill(None, retries=retries)
        finally:
            workload._connect, workload.time.sleep = saved, saved_sleep
        return log, len(connects)

    def test_temporary_error_retries_the_same_batch(self):
        # ok, 1297 (node failure), ok, then full.
        log, connects = self.fill([0, 1297, 0, 0])
        self.assertEqual(log, ["CREATE", 0, 500, 500, 1000, 1500], log)
        self.assertEqual(connects, 1)

    def test_a_batch_that_got_in_after_all_is_passed(self):
        log, _ = self.fill([0, 1297, 1062, 0])
        self.assertEqual(log, ["CREATE", 0, 500, 500, 1000, 1500], log)

    def test_lost_connection_reconnects(self):
        log, connects = self.fill([2013, 0])
        self.assertEqual(log, ["CREATE", 0, 0, 500], log)
        self.assertEqual(connects, 2)

    def test_other_errors_and_endless_temporary_ones_end_the_fill(self):
        with self.assertRaises(FakeError):
            self.fill([1064])
        with self.assertRaises(FakeError):
            self.fill([1062])  # a duplicate with no retry before it: not ours to skip
        with self.assertRaises(FakeError):
            self.fill([1297] * 5, retries=3)


if __name__ == "__main__":
    unittest.main()
