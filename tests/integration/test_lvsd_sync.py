"""halb-lvsd connection sync on loopback (no root): a master and a backup
halb-lvsd multicast IPVS version-1 sync messages over `lo` on a port of
their own; the backup keeps the master's persistence templates, so after
"failover" (the master killed, the director filling the backup's table) a
client lands on the real server it had. Bad datagrams are counted, never
fatal."""
import os
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from halb import TempDir, free_udp_port, wait_for  # noqa: E402
from lvsd_support import Lvsd, NamedServer, dest, svc  # noqa: E402

VIP = "127.0.0.1"
GROUP = "224.0.0.81"


def free_tcp_port():
    s = socket.socket()
    s.bind((VIP, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ask(port, line="hi", source="127.0.0.1"):
    """One connection to the virtual service from `source`: the real's name."""
    with socket.create_connection((VIP, port), timeout=5, source_address=(source, 0)) as c:
        c.sendall((line + "\n").encode())
        return c.makefile().readline().split()[0]


class LvsdSync(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir("halb-lvsd-sync-")
        self.addCleanup(self.tmp.cleanup)
        self.mport = free_udp_port()
        self.vport = free_tcp_port()
        self.reals = [NamedServer(f"real{i}") for i in range(3)]
        for r in self.reals:
            self.addCleanup(r.stop)
        for sub in ("m", "b"):
            os.makedirs(os.path.join(self.tmp.path, sub))
        self.master = Lvsd(os.path.join(self.tmp.path, "m"))
        self.addCleanup(self.master.stop)
        self.backup = Lvsd(os.path.join(self.tmp.path, "b"))
        self.addCleanup(self.backup.stop)

    def daemon(self, lvsd, role, syncid=0):
        lvsd.ok({"cmd": "start-daemon", "daemon": {"role": role, "mcast_ifn": "lo", "syncid": syncid,
                                                   "port": self.mport}})

    def fill(self, lvsd):
        lvsd.ok({"cmd": "add-service", "service": svc(VIP, self.vport, scheduler="rr", flags=1, timeout=300,
                                                      netmask=0xffffffff)})
        for r in self.reals:
            lvsd.ok({"cmd": "add-dest", "service": svc(VIP, self.vport), "dest": dest(r.port)})

    def connections(self, lvsd):
        return lvsd.ok({"cmd": "get-connections"})["connections"]

    def stats(self, lvsd):
        return lvsd.ok({"cmd": "get-sync-stats"})["sync"]

    def test_templates_reach_the_backup_and_pin_clients_after_failover(self):
        self.daemon(self.master, "master", syncid=7)
        self.daemon(self.backup, "backup", syncid=7)
        self.fill(self.master)
        pinned = {}
        for src in ("127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14"):
            pinned[src] = ask(self.vport, source=src)
            self.assertEqual(ask(self.vport, source=src), pinned[src])
        self.assertGreater(len(set(pinned.values())), 1)

        def templates():
            return {c["client_addr"]: c for c in self.connections(self.backup) if c.get("template")}
        wait_for(lambda: len(templates()) == 4, 10, what="templates on the backup")
        by_port = {r.port: r.name for r in self.reals}
        for src, c in templates().items():
            self.assertEqual(by_port[c["dest_port"]], pinned[src])
            self.assertEqual(c["state"], "NONE")
            self.assertGreater(c["expires"], 290)
        st = self.stats(self.master)["master"]
        self.assertGreaterEqual(st["sent_entries"], 4)

        # Failover: the master dies; the backup's director fills its table
        # (reals in another order) and the clients come back.
        self.master.stop()
        self.backup.ok({"cmd": "add-service", "service": svc(VIP, self.vport, scheduler="rr", flags=1,
                                                             timeout=300, netmask=0xffffffff)})
        for r in reversed(self.reals):
            self.backup.ok({"cmd": "add-dest", "service": svc(VIP, self.vport), "dest": dest(r.port)})
        for _ in range(3):
            for src, name in pinned.items():
                self.assertEqual(ask(self.vport, source=src), name, src)

    def test_connection_counts_follow_the_master(self):
        self.daemon(self.master, "master")
        self.daemon(self.backup, "backup")
        self.fill(self.master)
        # Open sessions held through the master show as ActiveConn on the backup.
        held = []
        for _ in range(3):
            c = socket.create_connection((VIP, self.vport), timeout=5)
            c.sendall(b"x\n")
            c.makefile().readline()
            held.append(c)
        self.addCleanup(lambda: [c.close() for c in held])
        wait_for(lambda: self.stats(self.backup)["backup"]["synced_connections"] == 3, 10, what="synced entries")
        # The backup's table filled in afterwards (its listener opens only
        # now, so every session above went through the master): the synced
        # entries bind to its dests.
        self.fill(self.backup)

        def active():
            return sum(d["active_conns"] for s in self.backup.ok({"cmd": "get-services"})["services"]
                       for d in s["dests"])
        wait_for(lambda: active() == 3, 10, what="synced ActiveConn on the backup")
        states = [c["state"] for c in self.connections(self.backup) if not c.get("template")]
        self.assertEqual(sorted(states), ["ESTABLISHED"] * 3)
        for c in held:
            c.close()
        wait_for(lambda: active() == 0, 10, what="closed sessions leave ActiveConn")

    def test_syncid_filter_and_bad_datagrams_are_counted_not_fatal(self):
        self.daemon(self.backup, "backup", syncid=3)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(s.close)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        entry = struct.pack("!BBHIHHHHII4s4s4s", 0, 6, 36, 0x1000, 0, 0, 80, 80, 0, 300,
                            socket.inet_aton("10.9.9.9"), socket.inet_aton(VIP), socket.inet_aton("127.0.0.1"))

        def dgram(syncid, body=entry, n=1, version=1):
            return struct.pack("!BBHBbH", 0, syncid, 8 + len(body), n, version, 0) + body
        for bad in (b"", b"\x00", dgram(3)[:20], dgram(3, version=0), dgram(4), dgram(3, n=2),
                    os.urandom(300), dgram(3)[:8] + b"\xff" * 36):
            s.sendto(bad, (GROUP, self.mport))
        s.sendto(dgram(3), (GROUP, self.mport))
        wait_for(lambda: any(c["client_addr"] == "10.9.9.9" for c in self.connections(self.backup)), 10,
                 what="the good template")
        st = self.stats(self.backup)["backup"]
        refused = st["refused"]
        self.assertGreaterEqual(refused.get("another syncid", 0), 1)
        self.assertGreaterEqual(refused.get("not a version 1 sync message", 0), 1)
        self.assertGreaterEqual(sum(refused.values()), 5)
        self.assertTrue(self.backup.proc.alive())
        self.assertIn("sync: dropped a message", self.backup.log_text())

    def test_a_director_running_both_roles_ignores_its_own_messages(self):
        self.daemon(self.master, "master")
        self.daemon(self.master, "backup")
        self.daemon(self.backup, "backup")
        self.fill(self.master)
        self.assertIn(ask(self.vport), {r.name for r in self.reals})
        wait_for(lambda: self.stats(self.backup)["backup"]["applied_entries"] >= 2, 10, what="the other backup")
        wait_for(lambda: self.stats(self.master)["backup"]["own_messages"] >= 1, 10, what="own messages seen")
        st = self.stats(self.master)["backup"]
        self.assertEqual((st["received_messages"], st["synced_connections"]), (0, 0))
        self.assertEqual(len([c for c in self.connections(self.master) if c.get("template")]), 1)

    def test_unknown_interface_is_refused_and_not_recorded(self):
        r = self.master.call({"cmd": "start-daemon", "daemon": {"role": "master", "mcast_ifn": "nosuch0"}})
        self.assertFalse(r["ok"])
        self.assertEqual(r["errno"], 19)  # ENODEV
        self.assertEqual(self.master.ok({"cmd": "get-daemons"})["daemons"], [])
        self.daemon(self.master, "master")
        self.daemon(self.master, "backup")  # both roles at once, as the kernel allows
        self.assertEqual(len(self.master.ok({"cmd": "get-daemons"})["daemons"]), 2)
        self.assertIn("sync thread started: state = MASTER", self.master.log_text())
        self.master.ok({"cmd": "stop-daemon", "role": "master"})
        self.master.ok({"cmd": "stop-daemon", "role": "backup"})
        self.assertIn("sync thread stopped: state = BACKUP", self.master.log_text())


if __name__ == "__main__":
    unittest.main()
