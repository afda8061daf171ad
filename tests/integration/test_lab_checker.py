"""halb-lab's checker, report and seed configuration on recorded
histories (no lab, no root): what the checker calls lost, duplicated and
indeterminate, how outages are measured and attributed to drills, what the
report prints and draws, and that the generated seed files are accepted by
the programs that read them."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from halb import SRC_DIR, program

sys.path.insert(0, os.path.join(SRC_DIR, "lab"))
import checker  # noqa: E402
import drills  # noqa: E402
import report  # noqa: E402
import seed  # noqa: E402

T0 = 1_700_000_000.0


def write(wid, t, result, answered=None, error="OperationalError: (2013, 'Lost connection')"):
    """The records of one write sent at t whose answer came at `answered`."""
    recs = [{"type": "invoke", "id": wid, "t": t}]
    rec = {"type": result, "id": wid, "t": answered if answered is not None else t + 0.01}
    if result != "ok":
        rec["error"] = error
    return recs + [rec]


def history(spec, final):
    """spec: [(n, t, result)] -> a history of run 'r' with a final read."""
    h = []
    for n, t, result in spec:
        h += write(f"r-{n}", T0 + t, result)
    h.append({"type": "final", "t": T0 + 100, "ids": final})
    return h


class Verdict(unittest.TestCase):
    def test_every_acknowledged_write_present_is_valid(self):
        h = history([(1, 0, "ok"), (2, 1, "ok"), (3, 2, "ok")], ["r-1", "r-2", "r-3"])
        v = checker.check(h)
        self.assertTrue(v["valid"], v)
        self.assertEqual((v["attempted"], v["acknowledged"], v["present"]), (3, 3, 3))
        self.assertEqual(v["lost"] + v["duplicated"] + v["indeterminate"] + v["unexpected"], [])

    def test_acknowledged_but_missing_is_lost(self):
        v = checker.check(history([(1, 0, "ok"), (2, 1, "ok"), (3, 2, "ok")], ["r-1", "r-3"]))
        self.assertFalse(v["valid"])
        self.assertEqual(v["lost"], ["r-2"])
        self.assertEqual(v["why"], "1 lost")

    def test_present_twice_is_duplicated(self):
        v = checker.check(history([(1, 0, "ok"), (2, 1, "ok")], ["r-1", "r-2", "r-2"]))
        self.assertFalse(v["valid"])
        self.assertEqual(v["duplicated"], ["r-2"])

    def test_failed_or_unanswered_but_present_is_indeterminate_not_invalid(self):
        h = history([(1, 0, "ok"), (2, 1, "info"), (3, 2, "fail"), (4, 3, "info")], ["r-1", "r-2", "r-3"])
        v = checker.check(h)
        self.assertTrue(v["valid"], v)
        self.assertEqual(v["indeterminate"], ["r-2", "r-3"])
        self.assertEqual(v["refused_but_present"], ["r-3"])
        self.assertEqual((v["failed"], v["unanswered"]), (1, 2))

    def test_an_id_never_attempted_is_unexpected(self):
        v = checker.check(history([(1, 0, "ok")], ["r-1", "r-99"]))
        self.assertFalse(v["valid"])
        self.assertEqual(v["unexpected"], ["r-99"])

    def test_without_a_final_read_nothing_is_claimed(self):
        h = write("r-1", T0, "ok")
        v = checker.check(h)
        self.assertFalse(v["valid"])
        self.assertIn("no final read", v["why"])

    def test_ids_sort_by_number(self):
        acked = [(n, n, "ok") for n in (1, 2, 10, 11)]
        v = checker.check(history(acked, []))
        self.assertEqual(v["lost"], ["r-1", "r-2", "r-10", "r-11"])


class Outages(unittest.TestCase):
    def test_outage_runs_from_the_first_failed_send_to_the_first_good_answer(self):
        h = []
        h += write("r-1", T0 + 0.0, "ok")
        h += write("r-2", T0 + 1.0, "info", answered=T0 + 3.0)   # sent at 1.0, timed out at 3.0
        h += write("r-3", T0 + 3.0, "fail", answered=T0 + 3.1)
        h += write("r-4", T0 + 3.2, "ok", answered=T0 + 3.5)
        h += write("r-5", T0 + 4.0, "ok")
        self.assertEqual(checker.outages(h), [(T0 + 1.0, T0 + 3.5)])

    def test_an_outage_open_at_the_end_has_no_end(self):
        h = write("r-1", T0, "ok") + write("r-2", T0 + 1, "fail")
        self.assertEqual(checker.outages(h), [(T0 + 1, None)])

    def test_no_failure_no_outage(self):
        self.assertEqual(checker.outages(write("r-1", T0, "ok")), [])

    def test_outages_are_attributed_to_the_drill_whose_window_they_start_in(self):
        h = []
        for i in range(0, 100):
            t = i * 0.1
            failing = 2.0 <= t < 2.5 or 6.0 <= t < 7.0
            h += write(f"r-{i}", T0 + t, "info" if failing else "ok")
        events = [{"t": T0 + 1.9, "name": "director-kill", "phase": "start"},
                  {"t": T0 + 3.0, "name": "director-kill", "phase": "healed"},
                  {"t": T0 + 5.5, "name": "ndbd-kill", "phase": "start"},
                  {"t": T0 + 8.0, "name": "ndbd-kill", "phase": "healed"}]
        per = checker.outage_per_drill(h, events)
        self.assertEqual([per[i][0] for i in sorted(per)], ["director-kill", "ndbd-kill"])
        self.assertAlmostEqual(per[0][1], 0.51, places=2)   # 2.0 .. first good answer at 2.51
        self.assertAlmostEqual(per[1][1], 1.01, places=2)

    def test_throughput_buckets_count_answers(self):
        h = write("r-1", T0, "ok") + write("r-2", T0 + 0.1, "fail") + write("r-3", T0 + 0.7, "ok")
        b = checker.throughput(h, 0.5)
        self.assertEqual([(ok, bad) for _, ok, bad in b], [(1, 1), (1, 0)])


class Files(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="halb-lab-check-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_a_line_cut_short_by_a_crash_is_skipped(self):
        p = os.path.join(self.tmp, "h.jsonl")
        with open(p, "w") as f:
            for rec in write("r-1", T0, "ok"):
                f.write(json.dumps(rec) + "\n")
            f.write('{"type": "invoke", "id": "r-2", "t"')
        self.assertEqual([r["type"] for r in checker.load(p)], ["invoke", "ok"])

    def recorded_run(self, lost=()):
        """A run directory as drills.run() leaves it: a director-kill with a
        0.4 s outage, one write lost when asked."""
        run_dir = os.path.join(self.tmp, "runs", "20261123-120000-1")
        os.makedirs(run_dir)
        h = []
        for i in range(50):
            t = i * 0.1
            h += write(f"r-{i}", T0 + t, "info" if 2.0 <= t < 2.4 else "ok")
        acked = [r["id"] for r in h if r["type"] == "ok"]
        h.append({"type": "final", "t": T0 + 6, "ids": [w for w in acked if w not in lost]})
        with open(os.path.join(run_dir, "history.jsonl"), "w") as f:
            f.write("".join(json.dumps(r) + "\n" for r in h))
        v = checker.check(h)
        result = {"id": "20261123-120000-1", "label": "director-kill", "mode": "netns", "started": T0,
                  "ended": T0 + 6, "workload": None,
                  "drills": [{"name": "director-kill", "summary": "", "start": T0 + 1.9, "healed": T0 + 3.0,
                              "holder_before": "ndb1", "holder_after": "ndb2", "vip_moved": True, "ok": True,
                              "takeover_s": 2.3, "outage_s": 0.41, "lost": len(lost), "duplicated": 0,
                              "indeterminate": 0, "notes": [],
                              "takeover_log": ["halb-heartbeat[1]: 2026/11/23_12:00:01.900 WARN: node ndb1: is dead"]},
                             {"name": "system-restart", "summary": "", "skipped": "needs the durability work"}],
                  "verdict": {k: v[k] for k in v if k != "outages"}}
        with open(os.path.join(run_dir, "result.json"), "w") as f:
            json.dump(result, f)
        return result

    def test_report_text_names_each_drill_its_figures_and_the_verdict(self):
        self.recorded_run()
        runs = report.load_runs(self.tmp)
        self.assertEqual(len(runs), 1)
        text = report.text(runs)
        self.assertRegex(text, r"director-kill\s+0\.41 s\s+0\s+0\s+0\s+2\.30 s\s+ndb1 -> ndb2")
        self.assertIn("node ndb1: is dead", text)
        self.assertIn("system-restart   skipped: needs the durability work", text)
        self.assertIn("checker: VALID", text)

    def test_report_says_invalid_and_lists_the_lost_ids(self):
        self.recorded_run(lost=("r-7",))
        text = report.text(report.load_runs(self.tmp))
        self.assertIn("checker: INVALID: 1 lost", text)
        self.assertIn("lost: r-7", text)

    def test_picture_marks_faults_and_heals_and_plots_throughput(self):
        self.recorded_run()
        svg_path = os.path.join(self.tmp, "report.svg")
        written = report.write_picture(report.load_runs(self.tmp), svg_path)
        with open(svg_path) as f:
            svg = f.read()
        self.assertTrue(svg.startswith("<svg"))
        self.assertIn("<polyline", svg)           # throughput
        self.assertIn('fill="#d22"', svg)         # errors
        self.assertEqual(svg.count('stroke="#e80"'), 1)  # one fault line (the skipped drill has none)
        self.assertIn(">director-kill<", svg)
        if shutil.which("rsvg-convert"):
            self.assertEqual(written, [svg_path, svg_path[:-4] + ".png"])
            with open(written[1], "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_no_runs_yet(self):
        self.assertIn("no drill runs yet", report.text(report.load_runs(self.tmp)))


class TakeoverLog(unittest.TestCase):
    LOG = """halb-heartbeat[5]: 2026/11/23_12:41:50.000 info: Link ndb1:eth1 up.
halb-heartbeat[5]: 2026/11/23_12:41:57.600 WARN: node ndb1: is dead
halb-heartbeat[5]: 2026/11/23_12:41:57.600 info: Resources being acquired from ndb1.
halb-heartbeat[5]: 2026/11/23_12:41:57.610 info: some other line
halb-heartbeat[5]: 2026/11/23_12:41:57.674 info: mach_down takeover complete for node ndb1.
halb-heartbeat[5]: 2026/11/23_12:42:30.000 info: Link ndb1:eth1 up.
"""

    def test_only_the_takeover_lines_between_fault_and_takeover(self):
        t_fault = drills.log_time("x 2026/11/23_12:41:55.500 y")
        lines = drills.takeover_excerpt(self.LOG, t_fault, t_fault + 3.0)
        self.assertEqual(len(lines), 3, lines)
        self.assertIn("is dead", lines[0])
        self.assertIn("mach_down takeover complete", lines[-1])

    def test_log_time(self):
        self.assertAlmostEqual(drills.log_time("a 2026/11/23_12:00:01.250 b") -
                               drills.log_time("a 2026/11/23_12:00:00.000 b"), 1.25)
        self.assertIsNone(drills.log_time("no time here"))


class Chaos(unittest.TestCase):
    class FakeLab:  # only what why_not() reads
        mode = "netns"
        st = {"sqld": False}

        def sqld_reason(self):
            return "no sqld"

    def test_same_seed_same_order_and_only_runnable_drills(self):
        lab = self.FakeLab()
        a = drills.chaos_list(lab, 20, 7)
        self.assertEqual(a, drills.chaos_list(lab, 20, 7))
        self.assertNotEqual(a, drills.chaos_list(lab, 20, 8))
        self.assertEqual(len(a), 20)
        self.assertFalse({"sqld-kill", "datamemory-fill", "system-restart"} & set(a))

    def test_loopback_leaves_out_the_network_drills(self):
        lab = self.FakeLab()
        lab.mode = "loopback"
        self.assertFalse({"crossover-cut", "lan-cut", "ndbd-partition"} & set(drills.chaos_list(lab, 50, 1)))


class SeedFiles(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="halb-lab-seed-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_topology_file_overrides_and_rejects_unknown_fields(self):
        p = os.path.join(self.tmp, "t.json")
        with open(p, "w") as f:
            json.dump({"vip": "192.168.131.200", "deadtime": "3"}, f)
        t = seed.Topology.load(p)
        self.assertEqual((t.vip, t.deadtime, t.hosts["ndb1"]), ("192.168.131.200", "3", "192.168.131.164"))
        with open(p, "w") as f:
            json.dump({"vipp": "x"}, f)
        with self.assertRaisesRegex(ValueError, "unknown field 'vipp'"):
            seed.Topology.load(p)
        with open(p, "w") as f:
            f.write("{not json")
        with self.assertRaisesRegex(ValueError, "topology .*t.json"):
            seed.Topology.load(p)

    def test_netns_ha_cf_keeps_the_seeds_media_and_adds_ucast_and_ping(self):
        text = seed.ha_cf(seed.Topology())
        for line in ("bcast      eth1", "mcast eth1 225.0.0.1 694 1 0", "ucast eth0 192.168.131.26",
                     "ping 192.168.131.1", "auto_failback off", "node       ndb1"):
            self.assertIn(line, text)
        self.assertIn("ldirectord::ldirectord.cf \\\nIPAddr2::192.168.131.105/24/eth0/192.168.131.255",
                      seed.haresources(seed.Topology()))

    def test_loopback_topology_moves_every_address_into_one_block(self):
        t = seed.Topology.loopback((123, 45), (3307, 1187, 1190, 6940))
        self.assertEqual((t.vip, t.hosts["sql1"], t.port), ("127.123.45.105", "127.123.45.77", 3307))
        cf = seed.ha_cf(t, "ndb2")
        self.assertIn("bind_address 127.123.45.26", cf)
        self.assertIn("udpport 6940", cf)
        self.assertNotIn("bcast", cf)
        self.assertNotIn("IPAddr2", seed.haresources(t))
        self.assertIn("host=127.0.0.1:1187, host=127.0.0.1:1190", t.mgm_connectstring())

    def test_ldirectord_cf_has_the_seeds_mysql_check(self):
        text = seed.ldirectord_cf(seed.Topology(), "/tmp/x.log")
        for line in ("virtual=192.168.131.105:3306", "service=mysql", "checktype=negotiate", 'login="ldirector"',
                     'request="SELECT * FROM connectioncheck"', "real=192.168.131.77:3306 gate", "scheduler=wrr"):
            self.assertIn(line, text)

    def test_my_cnf_is_the_seeds_with_where_the_sql_node_listens(self):
        text = seed.my_cnf(seed.Topology(), "sql1", "/run/x.sock")
        for line in ("[mysqld]\nndbcluster\n", 'ndb-connectstring = "host=192.168.131.164:1186, host=192.168.131.26:1186"',
                     "port = 3306", "socket = /run/x.sock", "[ndb_mgm]", "[ndbd]\nconnect-string ="):
            self.assertIn(line, text)
        self.assertNotIn("bind-address", text)  # the VIP on lo must be served too (direct routing)
        lo = seed.my_cnf(seed.Topology.loopback((5, 6), (3307, 1, 2, 3)), "sql1", "/run/x.sock")
        self.assertIn("bind-address = 127.5.6.77\nport = 3307", lo)

    def test_generated_files_pass_the_daemons_own_config_checks(self):
        for mode, t in (("netns", seed.Topology()), ("loopback", seed.Topology.loopback((9, 9), (3306, 1186, 1187, 694)))):
            dirs = {h: os.path.join(self.tmp, mode, h) for h in ("ndb1", "ndb2", "sql1", "sql2")}
            conf = os.path.join(self.tmp, mode, "ha.d")
            os.makedirs(conf)
            ini = os.path.join(self.tmp, mode, "config.ini")
            with open(ini, "w") as f:
                f.write(seed.config_ini(t, dirs))
            r = subprocess.run([program("halb-mgmd"), "-f", ini, "--ndb-nodeid", "1", "--config-test"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, f"{mode} config.ini:\n{r.stdout}{r.stderr}")
            for name, text in (("ha.cf", seed.ha_cf(t, "ndb1")), ("haresources", seed.haresources(t)),
                               ("authkeys", seed.SEED_AUTHKEYS),
                               ("ldirectord.cf", seed.ldirectord_cf(t, os.path.join(self.tmp, "d.log")))):
                with open(os.path.join(conf, name), "w") as f:
                    f.write(text)
            os.chmod(os.path.join(conf, "authkeys"), 0o600)
            r = subprocess.run([program("halb-heartbeat"), "--config-test", "--node", "ndb1", "--config-dir", conf],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, f"{mode} ha.d:\n{r.stdout}{r.stderr}")


class CommandLine(unittest.TestCase):
    """What halb-lab says to wrong use, before anything is built."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="halb-lab-cli-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.state = os.path.join(self.tmp, "state")

    def cli(self, *args):
        r = subprocess.run([sys.executable, os.path.join(SRC_DIR, "lab", "halb-lab"), "--state-dir", self.state]
                           + list(args), capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout + r.stderr

    def test_commands_on_no_lab_say_so(self):
        for args in (["status"], ["drill", "director-kill"], ["report"]):
            rc, out = self.cli(*args)
            self.assertEqual(rc, 1, args)
            self.assertIn("no lab is up", out)
        self.assertEqual(self.cli("down"), (0, f"halb-lab: no lab is up in {self.state}\n"))

    def test_a_vm_lab_whose_vm_died_says_so_and_down_clears_it(self):
        # A vm lab's state: the VM's qemu pid and shared directory. Here the
        # pid is this test's own, which is no qemu: the VM is gone.
        os.makedirs(self.state)
        out_dir = os.path.join(self.tmp, "vm-out")
        os.makedirs(out_dir)
        with open(os.path.join(self.state, "vm.json"), "w") as f:
            json.dump({"pid": os.getpid(), "out": out_dir, "console": os.path.join(out_dir, "console.log")}, f)
        rc, out = self.cli("status")
        self.assertEqual(rc, 1)
        self.assertIn(f"the VM (qemu pid {os.getpid()}) is no longer running; `halb-lab down` clears its state", out)
        rc, out = self.cli("up", "--mode", "loopback")
        self.assertEqual(rc, 1)
        self.assertIn("a lab is already up", out)
        rc, out = self.cli("down")
        self.assertEqual(rc, 0, out)
        self.assertFalse(os.path.exists(self.state))

    def test_bad_topology_names_file_and_field(self):
        p = os.path.join(self.tmp, "t.json")
        with open(p, "w") as f:
            f.write('{"deadtme": "3"}')
        rc, out = self.cli("up", "--mode", "loopback", "--topology", p)
        self.assertEqual(rc, 1)
        self.assertIn(f"{p}: topology: unknown field 'deadtme'", out)
        self.assertEqual(os.listdir(self.tmp), ["t.json"], "nothing built, no lock left")

    def test_drill_needs_names_or_chaos(self):
        rc, out = self.cli("drill")
        self.assertEqual(rc, 2)
        self.assertIn("name one or more drills, or --chaos N", out)


@unittest.skipUnless(os.path.exists("/usr/lib/python3/dist-packages/pymysql"), "python3-pymysql not installed")
class WorkloadErrors(unittest.TestCase):
    def test_refusals_are_definite_lost_answers_are_not(self):
        sys.path.insert(0, "/usr/lib/python3/dist-packages")
        import pymysql
        import workload
        self.assertTrue(workload.is_definite(pymysql.err.OperationalError(2003, "Can't connect")))
        self.assertTrue(workload.is_definite(pymysql.err.IntegrityError(1062, "Duplicate entry")))
        self.assertFalse(workload.is_definite(pymysql.err.OperationalError(2013, "Lost connection")))
        self.assertFalse(workload.is_definite(pymysql.err.OperationalError(1297, "Got temporary error")))
        self.assertFalse(workload.is_definite(TimeoutError("timed out")))


if __name__ == "__main__":
    unittest.main()
