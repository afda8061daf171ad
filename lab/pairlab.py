"""The director pair of the seed topology in network namespaces.

Builds, on one machine and touching none of its real interfaces:
  <p>-lan     a namespace holding the LAN bridge br0 (192.168.131.0/24)
  <p>-ndb1    director, eth0 on the LAN (.164), eth1 crossover (172.16.0.1)
  <p>-ndb2    director, eth0 on the LAN (.26),  eth1 crossover (172.16.0.2)
  <p>-client  a client on the LAN (.50)
No namespace has a default route, so nothing can leave the machine. Each
director runs halb-heartbeat with the seed's ha.cf (bcast + mcast on the
crossover, plus ucast on the LAN), the seed's haresources holding the VIP
192.168.131.105 with the built-in IPaddr2, and a tiny TCP service on port
3306 answering its node name, so the client can tell who holds the VIP.

Used by tests/netns and
bench/failover. Everything started here is ended by pid in teardown().
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import netns
import seed

_SEED = seed.NETNS_DEFAULTS
LAN = _SEED["lan"]
VIP = _SEED["vip"]
HOSTS = {h: _SEED["hosts"][h] for h in ("ndb1", "ndb2", "client")}
CROSS = dict(_SEED["crossover"])
SERVICE_PORT = _SEED["port"]
SEED_AUTHKEYS = seed.SEED_AUTHKEYS

# A one-line-per-connection service: answers the node name and closes.
NAME_SERVICE = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[2]))); s.listen(128)
while True:
    c, _ = s.accept()
    try: c.sendall((sys.argv[1] + "\n").encode())
    except OSError: pass
    c.close()
"""


def sh(*argv, check=True, ns=None, capture=False):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(argv)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout if capture else r.returncode


can_run = netns.can_run


class PairLab:
    def __init__(self, build_dir, tag="pair", ha_cf_extra="", auto_failback="off", keepalive="200ms",
                 deadtime="2", warntime="1", initdead="4", log=print, authkeys=None):
        self.build = build_dir
        self.net = netns.Lab(tag)
        self.prefix = self.net.prefix
        self.tmp = tempfile.mkdtemp(prefix="halb-pairlab-")
        self.log = log
        self.procs = {}  # name -> Popen we started
        # Per-host authkeys text; the seed's key on both by default.
        self.authkeys = {"ndb1": SEED_AUTHKEYS, "ndb2": SEED_AUTHKEYS, **(authkeys or {})}
        self.ha_cf = self._ha_cf(auto_failback, keepalive, deadtime, warntime, initdead, ha_cf_extra)

    # ---- topology -------------------------------------------------------
    def ns(self, host):
        return self.net.ns(host)

    def namespaces(self):
        return [self.ns(h) for h in ("lan", "ndb1", "ndb2", "client")]

    def build_topology(self):
        lan = self.net.add_bridge("lan")
        for host, ip in HOSTS.items():
            self.net.add_host(host)
            self.net.plug(host, lan, "eth0", addrs=[f"{ip}/24"])
        self.net.link("ndb1", "ndb2", addrs_a=[f"{CROSS['ndb1']}/24"], addrs_b=[f"{CROSS['ndb2']}/24"])

    # ---- configuration --------------------------------------------------
    def _ha_cf(self, auto_failback, keepalive, deadtime, warntime, initdead, extra):
        # The lab's ha.cf (lab/seed.py) without a ping node: the pair has no gateway.
        t = seed.Topology("netns", {"keepalive": keepalive, "deadtime": deadtime, "warntime": warntime,
                                    "initdead": initdead})
        return seed.ha_cf(t, extra=extra, ping=False).replace("auto_failback off", f"auto_failback {auto_failback}")

    def haresources(self):
        return f"ndb1      \\\n    IPAddr2::{VIP}/24/eth0/{LAN}.255\n"

    def node_dir(self, host):
        return os.path.join(self.tmp, host)

    def write_configs(self):
        for host in ("ndb1", "ndb2"):
            d = self.node_dir(host)
            for sub in ("ha.d/resource.d", "run", "state"):
                os.makedirs(os.path.join(d, sub), exist_ok=True)
            with open(os.path.join(d, "ha.d", "ha.cf"), "w") as f:
                f.write(self.ha_cf)
            with open(os.path.join(d, "ha.d", "haresources"), "w") as f:
                f.write(self.haresources())
            keys = os.path.join(d, "ha.d", "authkeys")
            with open(keys, "w") as f:
                f.write(self.authkeys[host])
            os.chmod(keys, 0o600)

    # ---- processes ------------------------------------------------------
    def program(self, name):
        return os.path.join(self.build, name)

    def start_heartbeat(self, host):
        d = self.node_dir(host)
        argv = ["ip", "netns", "exec", self.ns(host), "unshare", "--uts", "sh", "-c",
                f'hostname {host}; exec "$0" "$@"', self.program("halb-heartbeat"), "--foreground",
                "--config-dir", f"{d}/ha.d", "--run-dir", f"{d}/run", "--state-dir", f"{d}/state",
                "--log-file", f"{d}/halb-heartbeat.log"]
        self.procs[f"hb-{host}"] = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(f"{d}/stderr.log", "ab"))

    def start_service(self, host):
        self.procs[f"svc-{host}"] = subprocess.Popen(
            ["ip", "netns", "exec", self.ns(host), sys.executable, "-c", NAME_SERVICE, host, str(SERVICE_PORT)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up(self):
        self.build_topology()
        self.write_configs()
        for host in ("ndb1", "ndb2"):
            self.start_service(host)
            self.start_heartbeat(host)

    def stop_proc(self, name, sig=signal.SIGTERM, timeout=20):
        p = self.procs.get(name)
        if not p or p.poll() is not None:
            return
        p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)

    def teardown(self):
        for name in list(self.procs):
            self.stop_proc(name, signal.SIGTERM if name.startswith("hb-") else signal.SIGKILL)
        self.net.destroy()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- observation ----------------------------------------------------
    def vip_holders(self):
        out = []
        for host in ("ndb1", "ndb2"):
            # A dead machine's address on a downed link does not count.
            text = sh("ip", "-o", "-4", "addr", "show", "dev", "eth0", "up", ns=self.ns(host), capture=True, check=False) or ""
            if f" {VIP}/" in text:
                out.append(host)
        return out

    def hbctl(self, host, *args):
        d = self.node_dir(host)
        r = subprocess.run(["ip", "netns", "exec", self.ns(host), self.program("halb-hbctl"), "--run-dir",
                            f"{d}/run"] + list(args), capture_output=True, text=True)
        return r.returncode, r.stdout

    def node_log(self, host):
        try:
            with open(os.path.join(self.node_dir(host), "halb-heartbeat.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def client_neighbour(self):
        """The client's ARP entry for the VIP: (lladdr, state) or None."""
        text = sh("ip", "neigh", "show", VIP, ns=self.ns("client"), capture=True, check=False) or ""
        parts = text.split()
        if "lladdr" in parts:
            return parts[parts.index("lladdr") + 1], parts[-1]
        return None

    def mac(self, host):
        text = sh("ip", "-o", "link", "show", "eth0", ns=self.ns(host), capture=True)
        parts = text.split()
        return parts[parts.index("link/ether") + 1]

    def kill_director(self, host):
        """The machine dies: heartbeat killed with SIGKILL and its links go down."""
        p = self.procs.get(f"hb-{host}")
        if p and p.poll() is None:
            p.kill()
            p.wait(5)
        for dev in ("eth0", "eth1"):
            sh("ip", "link", "set", dev, "down", ns=self.ns(host), check=False)

    def cut_lan(self, host, cut=True):
        """Unplug a host's LAN cable at the switch: the host cannot undo it."""
        bridge_ns, port = self.net.ports[(host, "eth0")]
        self.net.set_link(bridge_ns, port, not cut)

    def set_link(self, host, dev, up):
        sh("ip", "link", "set", dev, "up" if up else "down", ns=self.ns(host))


class Probe:
    """A client in the client namespace opening a connection to VIP:3306
    every `interval` s, each given `timeout` s, without waiting for the
    previous one: a probe lost to a stale ARP entry or a dead director does
    not delay the next, so an outage is measured to the probe interval.
    Records (start time, answer or None) per probe."""

    PROBE = r"""
import errno, selectors, socket, sys, time
vip, port, interval, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
sel = selectors.DefaultSelector()
next_t = time.time()
def done(s, t0, ans):
    sel.unregister(s); s.close()
    print(f"{t0:.3f} {ans}", flush=True)
while True:
    now = time.time()
    if now >= next_t:
        s = socket.socket(); s.setblocking(False)
        try:
            s.connect((vip, port))
        except BlockingIOError:
            pass
        except OSError:
            s.close(); print(f"{now:.3f} -", flush=True); next_t += interval; continue
        sel.register(s, selectors.EVENT_READ, now)
        next_t += interval
    for key, _ in sel.select(max(0.0, min(next_t - time.time(), 0.01))):
        s, t0 = key.fileobj, key.data
        try:
            ans = s.recv(64).decode().strip() or "-"
        except OSError:
            ans = "-"
        done(s, t0, ans)
    now = time.time()
    for key in list(sel.get_map().values()):
        if now - key.data > timeout:
            done(key.fileobj, key.data, "-")
"""

    def __init__(self, lab, interval=0.01, timeout=0.5):
        self.samples = []
        self.p = subprocess.Popen(["ip", "netns", "exec", lab.ns("client"), sys.executable, "-c", self.PROBE, VIP,
                                   str(SERVICE_PORT), str(interval), str(timeout)],
                                  stdout=subprocess.PIPE, text=True)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            t, ans = line.split()
            self.samples.append((float(t), None if ans == "-" else ans))

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(5)
        self.t.join(2)

    def last_answer(self):
        for t, a in reversed(self.samples):
            if a:
                return a
        return None

    def outage_after(self, t_fault, new_holder):
        """Seconds from the fault to the start of the first probe that
        new_holder answered."""
        good = [t for t, a in list(self.samples) if t >= t_fault and a == new_holder]
        return min(good) - t_fault if good else None
