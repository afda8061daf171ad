"""heartbeat and halb-director together on the namespace pair (root).

The seed's haresources line with `ldirectord::ldirectord.cf`: the node
holding the resources runs the VIP and halb-director, which drives the
halb-lvsd of its own namespace; two real servers (sql1, sql2) on the LAN
answer with their names. When the active director dies, the standby takes
the VIP and starts its halb-director, and the client is served again
through it.
"""
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

from halb import BUILD_DIR, SRC_DIR, wait_for

sys.path.insert(0, os.path.join(SRC_DIR, "lab"))
import pairlab  # noqa: E402

OK, WHY = pairlab.can_run()
if OK and not os.access(os.path.join(BUILD_DIR, "halb-director"), os.X_OK):
    OK, WHY = False, f"halb-director is not built under {BUILD_DIR}"

VPORT = 80
REALS = {"sql1": f"{pairlab.LAN}.77", "sql2": f"{pairlab.LAN}.101"}


class DirectorPairLab(pairlab.PairLab):
    def haresources(self):
        return (f"ndb1 IPAddr2::{pairlab.VIP}/24/eth0/{pairlab.LAN}.255 \\\n"
                "    ldirectord::ldirectord.cf\n")

    def write_configs(self):
        super().write_configs()
        for host in ("ndb1", "ndb2"):
            d = self.node_dir(host)
            with open(os.path.join(d, "ha.d", "ldirectord.cf"), "w") as f:
                f.write("checktimeout=1\ncheckinterval=1\nquiescent=yes\n"
                        f'logfile="{d}/director.log"\n'
                        f"virtual={pairlab.VIP}:{VPORT}\n"
                        + "".join(f"\treal={ip}:{pairlab.SERVICE_PORT} masq\n" for ip in REALS.values())
                        + "\tchecktype=connect\n\tscheduler=wrr\n")

    def up(self):
        self.build_topology()
        for host, ip in REALS.items():
            self.net.add_host(host)
            self.net.plug(host, "lan", "eth0", addrs=[f"{ip}/24"])
        self.write_configs()
        for host in ("sql1", "sql2"):
            self.start_service(host)
        for host in ("ndb1", "ndb2"):
            d = self.node_dir(host)
            self.procs[f"lvsd-{host}"] = subprocess.Popen(
                ["ip", "netns", "exec", self.ns(host), self.program("halb-lvsd"), "--foreground", "--run-dir",
                 f"{d}/run", "--logfacility", "none", "--threads", "1", "--log-file", f"{d}/lvsd.log"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.start_heartbeat(host)

    def director_pid(self, host):
        try:
            with open(os.path.join(self.node_dir(host), "run", "halb-director.ldirectord.cf.pid")) as f:
                pid = int(f.read().split()[0])
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError, IndexError):
            return None

    def teardown(self):
        # halb-director was started by heartbeat's agent; end it by its pid file.
        for host in ("ndb1", "ndb2"):
            pid = self.director_pid(host)
            if pid:
                os.kill(pid, signal.SIGKILL)
        super().teardown()


def ask(lab):
    """Connect from the client to VIP:80; the answering real's name, or None."""
    r = subprocess.run(["ip", "netns", "exec", lab.ns("client"), sys.executable, "-c",
                        "import socket,sys\n"
                        "try:\n"
                        f" c=socket.create_connection(('{pairlab.VIP}',{VPORT}),timeout=1)\n"
                        " print(c.recv(64).decode().strip())\n"
                        "except OSError: pass\n"], capture_output=True, text=True)
    return r.stdout.strip() or None


@unittest.skipUnless(OK, WHY)
class HeartbeatWithDirector(unittest.TestCase):
    def setUp(self):
        self.lab = DirectorPairLab(BUILD_DIR, tag="hbdir")
        self.addCleanup(self.lab.teardown)
        self.lab.up()
        wait_for(lambda: self.lab.vip_holders() == ["ndb1"], 20, interval=0.05, what="VIP on ndb1")

    def director_log(self, host):
        try:
            with open(os.path.join(self.lab.node_dir(host), "director.log")) as f:
                return f.read()
        except OSError:
            return ""

    def test_failover_moves_the_vip_and_the_director_and_the_standby_serves(self):
        wait_for(lambda: ask(self.lab) in REALS, 20, interval=0.2,
                 what="service through ndb1's director\n" + self.lab.node_log("ndb1"))
        self.assertIsNotNone(self.lab.director_pid("ndb1"))
        self.assertIsNone(self.lab.director_pid("ndb2"))
        self.assertIn("Added virtual server", self.director_log("ndb1"))
        self.assertIn("ldirectord.cf start", self.lab.node_log("ndb1"))
        # Both reals serve once their first checks have passed (spread over a second).
        seen = set()
        wait_for(lambda: seen.add(ask(self.lab)) or seen >= set(REALS), 15, interval=0.1,
                 what=f"wrr over both reals (seen {seen})")

        self.lab.kill_director("ndb1")
        wait_for(lambda: self.lab.vip_holders() == ["ndb2"], 15, interval=0.05,
                 what="VIP on ndb2\n" + self.lab.node_log("ndb2"))
        wait_for(lambda: self.lab.director_pid("ndb2") is not None, 10, what="halb-director on ndb2")
        wait_for(lambda: ask(self.lab) in REALS, 15, interval=0.2,
                 what="service through ndb2's director\n" + self.director_log("ndb2"))
        self.assertIn("Added virtual server", self.director_log("ndb2"))

    def test_graceful_standby_stops_the_director_on_the_old_active(self):
        wait_for(lambda: self.lab.director_pid("ndb1") is not None, 20, what="halb-director on ndb1")
        # heartbeat refuses a standby while resources are in transition or
        # the peer is not seen alive yet (a slow machine gets there later).
        wait_for(lambda: self.lab.hbctl("ndb1", "rscstatus")[1].strip() == "all"
                 and self.lab.hbctl("ndb1", "nodestatus", "ndb2")[1].strip() == "active", 20,
                 what="ndb1 holding all resources and seeing ndb2")
        rc, _ = self.lab.hbctl("ndb1", "standby")
        self.assertEqual(rc, 0)
        wait_for(lambda: self.lab.vip_holders() == ["ndb2"], 15, interval=0.05, what="VIP on ndb2")
        wait_for(lambda: self.lab.director_pid("ndb1") is None, 15, what="halb-director stopped on ndb1")
        self.assertIn("Purged virtual server (stop)", self.director_log("ndb1"))
        wait_for(lambda: ask(self.lab) in REALS, 15, interval=0.2, what="service through ndb2")


if __name__ == "__main__":
    unittest.main()
