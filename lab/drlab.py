"""The seed's direct-routing cluster in network namespaces.

PairLab's two directors, client and crossover, plus the two real servers
of the seed on the same LAN, as direct routing needs:
  <p>-sql1    real server, eth0 192.168.131.77,  wrr weight 3
  <p>-sql2    real server, eth0 192.168.131.101, wrr weight 1
Each real holds the VIP on lo (through halb-noarp, or bare with
noarp=False to show what goes wrong without it) and runs a TCP service on
port 3306 that greets every connection with "<name> <client address>" and
then echoes each line back prefixed with its name, so a client can tell
which real serves a connection, that the real saw the client's own address
(no NAT), and that a long-lived connection still carries data.

The directors run the seed's haresources line
    ndb1 ldirectord::ldirectord.cf LVSSyncDaemonSwap::master IPAddr2::VIP/24/eth0/BRD
(vip_first=True puts IPAddr2 first) so the node holding the group has
halb-director (ldirectord), the connection-sync master and the VIP, the
sync multicast on eth0, the LAN. halb-director and
halb-syncswap pick their backend themselves: the kernel's IPVS where its
netlink family resolves (the VM suites), which is per namespace, so each
director has a table and sync daemons of its own.

Used by tests/vm/dr_guest.py inside the VM rig; it needs a kernel with IPVS.
"""
import os
import signal
import subprocess
import sys
import time

import netns
import pairlab
from pairlab import LAN, VIP, sh

REALS = {"sql1": f"{LAN}.77", "sql2": f"{LAN}.101"}
WEIGHTS = {"sql1": 3, "sql2": 1}
VPORT = 3306

# Greets with "<name> <peer address>", then answers each line with
# "<name> <line>"; one thread per connection, so connections live long.
ECHO_SERVICE = r"""
import socket, sys, threading
name, port = sys.argv[1], int(sys.argv[2])
def serve(c, peer):
    try:
        c.sendall(f"{name} {peer[0]}\n".encode())
        f = c.makefile("rb")
        for line in f:
            c.sendall(f"{name} {line.decode().strip()}\n".encode())
    except OSError:
        pass
    c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port)); s.listen(128)
while True:
    c, peer = s.accept()
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
"""

# Broadcasts one ARP request for argv[3] from interface argv[1] (sender
# address argv[2]) and prints the sender MAC of every reply for it seen
# within argv[4] seconds, one per line.
ARP_WHO_HAS = r"""
import select, socket, struct, sys, time
ifn, me, target, wait = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind((ifn, 0x0806))
mac = s.getsockname()[4]
s.send(b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac
       + socket.inet_aton(me) + b"\0" * 6 + socket.inet_aton(target))
seen = []
end = time.monotonic() + wait
while time.monotonic() < end:
    if not select.select([s], [], [], max(0.0, end - time.monotonic()))[0]:
        continue
    f = s.recv(2048)
    if len(f) >= 42 and f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02" and socket.inet_ntoa(f[28:32]) == target:
        sha = ":".join(f"{b:02x}" for b in f[22:28])
        if sha not in seen:
            seen.append(sha)
for m in seen:
    print(m)
"""


class DrLab(pairlab.PairLab):
    def __init__(self, build_dir, tag="dr", noarp=True, vip_first=False, **kw):
        # TCG runs every namespace on one emulated CPU: slower timers than
        # PairLab's drill values, so load never looks like a dead peer.
        kw.setdefault("keepalive", "500ms")
        kw.setdefault("deadtime", "5")
        kw.setdefault("warntime", "3")
        kw.setdefault("initdead", "10")
        super().__init__(build_dir, tag=tag, **kw)
        self.noarp = noarp
        self.vip_first = vip_first

    # ---- configuration --------------------------------------------------
    def haresources(self):
        # The seed's order (its logs: "Acquiring resource group: ndb1
        # ldirectord::ldirectord.cf LVSSyncDaemonSwap::master IPAddr2::..."):
        # the service exists before the VIP arrives. That matters on
        # kernels that hook IPVS into netfilter only once a service exists
        # (6.1 does): with the VIP first, packets of synced connections
        # reaching the new holder before its director adds the service meet
        # the local TCP stack and are reset.
        vip = f"IPAddr2::{VIP}/24/eth0/{LAN}.255"
        rest = "ldirectord::ldirectord.cf LVSSyncDaemonSwap::master"
        return f"ndb1 {vip} {rest}\n" if self.vip_first else f"ndb1 {rest} {vip}\n"

    def ldirectord_cf(self, host):
        # A generous checktimeout: a loaded emulator must not make a slow
        # answer look like a dead real (a stopped service refuses at once).
        d = self.node_dir(host)
        return ("checktimeout=5\ncheckinterval=1\nquiescent=yes\n"
                f'logfile="{d}/director.log"\n'
                f"virtual={VIP}:{VPORT}\n"
                + "".join(f"\treal={ip}:{VPORT} gate {WEIGHTS[h]}\n" for h, ip in REALS.items())
                + "\tchecktype=connect\n\tscheduler=wrr\n")

    def write_configs(self):
        super().write_configs()
        for host in ("ndb1", "ndb2"):
            with open(os.path.join(self.node_dir(host), "ha.d", "ldirectord.cf"), "w") as f:
                f.write(self.ldirectord_cf(host))

    # ---- real servers ---------------------------------------------------
    def noarp_cmd(self, host, *args):
        d = self.node_dir(host)
        return subprocess.run(["ip", "netns", "exec", self.ns(host), self.program("halb-noarp"), "--config-dir",
                               f"{d}/etc", "--run-dir", f"{d}/run", *args], capture_output=True, text=True)

    def start_real(self, host):
        os.makedirs(os.path.join(self.node_dir(host), "run"), exist_ok=True)
        if self.noarp:
            r = self.noarp_cmd(host, VIP, "start")
            if r.returncode != 0:
                raise RuntimeError(f"halb-noarp start on {host}: {r.stdout}{r.stderr}")
        else:
            self.net.ip(host, "addr", "add", f"{VIP}/32", "dev", "lo", "label", "lo:0")
        self.start_service(host)

    def start_service(self, host):
        self.procs[f"svc-{host}"] = subprocess.Popen(
            ["ip", "netns", "exec", self.ns(host), sys.executable, "-c", ECHO_SERVICE, host, str(VPORT)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop_service(self, host):
        self.stop_proc(f"svc-{host}", signal.SIGKILL)

    def up(self):
        self.build_topology()
        for host, ip in REALS.items():
            self.net.add_host(host)
            self.net.plug(host, "lan", "eth0", addrs=[f"{ip}/24"])
        self.write_configs()
        for host in REALS:
            self.start_real(host)
        for host in ("ndb1", "ndb2"):
            self.start_heartbeat(host)

    # ---- processes heartbeat started ------------------------------------
    def director_pid(self, host):
        try:
            with open(os.path.join(self.node_dir(host), "run", "halb-director.ldirectord.cf.pid")) as f:
                pid = int(f.read().split()[0])
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError, IndexError):
            return None

    def teardown(self):
        # halb-director was started by heartbeat's agent; end it by its pid
        # file (a killed heartbeat leaves it behind).
        for host in ("ndb1", "ndb2"):
            pid = self.director_pid(host)
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        super().teardown()

    # ---- observation ----------------------------------------------------
    def ipvsadm(self, host, *args):
        return sh("ipvsadm", *args, ns=self.ns(host), capture=True, check=False) or ""

    def table(self, host):
        """{real address: weight} of the VIP's service in host's IPVS table,
        or None when the service is not there."""
        out = self.ipvsadm(host, "-L", "-n", "-t", f"{VIP}:{VPORT}")
        if f"{VIP}:{VPORT}" not in out:
            return None
        reals = {}
        for line in out.splitlines():
            words = line.split()
            if len(words) >= 4 and words[0] == "->" and words[1][0].isdigit():
                reals[words[1].rsplit(":", 1)[0]] = (words[2], int(words[3]))
        return reals

    def sync_daemons(self, host):
        """The sync roles running in host's namespace ("master", "backup")."""
        out = self.ipvsadm(host, "-L", "--daemon")
        return sorted(line.split()[0] for line in out.splitlines() if "sync daemon" in line)

    def director_log(self, host):
        try:
            with open(os.path.join(self.node_dir(host), "director.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def arp_answerers(self, wait=1.0):
        """The MACs that answer the client's ARP request for the VIP, in the
        order their replies came."""
        r = subprocess.run(["ip", "netns", "exec", self.ns("client"), sys.executable, "-c", ARP_WHO_HAS, "eth0",
                            pairlab.HOSTS["client"], VIP, str(wait)], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"ARP probe failed: {r.stderr}")
        return r.stdout.split()

    def macs(self):
        """{host: eth0 MAC} of the directors and the reals."""
        return {h: self.mac(h) for h in ("ndb1", "ndb2", *REALS)}

    def wait(self, cond, timeout, what, interval=0.2):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            v = cond()
            if v:
                return v
            time.sleep(interval)
        raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def ask(lab, timeout=3):
    """One fresh connection from the client to VIP:3306: the real's greeting
    ("sql1 192.168.131.50"), or None."""
    r = subprocess.run(["ip", "netns", "exec", lab.ns("client"), sys.executable, "-c",
                        "import socket\n"
                        "try:\n"
                        f" c=socket.create_connection(('{VIP}',{VPORT}),timeout={timeout})\n"
                        " print(c.makefile().readline().strip())\n"
                        "except OSError: pass\n"], capture_output=True, text=True)
    return r.stdout.strip() or None


def ask_many(lab, n, timeout=3):
    """Greetings of n fresh connections made one after another by one client
    process (one process start, not n, under an emulated CPU)."""
    r = subprocess.run(["ip", "netns", "exec", lab.ns("client"), sys.executable, "-c",
                        "import socket, sys\n"
                        f"for _ in range({n}):\n"
                        " try:\n"
                        f"  c=socket.create_connection(('{VIP}',{VPORT}),timeout={timeout})\n"
                        "  print(c.makefile().readline().strip() or '-', flush=True); c.close()\n"
                        " except OSError: print('-', flush=True)\n"], capture_output=True, text=True)
    return [None if line == "-" else line for line in r.stdout.splitlines()]


# A client holding n connections to VIP:3306. Reads commands on stdin:
# "open" opens them and prints each greeting; "say WORD" sends "WORD i" on
# connection i and prints each answer (or "- <error>"); one output line
# per connection, then "done".
LONG_CLIENT = r"""
import socket, sys
vip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
conns = []
for cmd in sys.stdin:
    cmd = cmd.split()
    if cmd[0] == "open":
        for i in range(n):
            c = socket.create_connection((vip, port), timeout=30)
            f = c.makefile("rb")
            conns.append((c, f))
            print(f.readline().decode().strip(), flush=True)
    elif cmd[0] == "say":
        for i, (c, f) in enumerate(conns):
            try:
                c.sendall(f"{cmd[1]} {i}\n".encode())
                print(f.readline().decode().strip() or "- closed", flush=True)
            except OSError as e:
                print(f"- {e}", flush=True)
    print("done", flush=True)
"""


class LongClient:
    def __init__(self, lab, n):
        self.n = n
        self.p = lab.net.popen("client", [sys.executable, "-c", LONG_CLIENT, VIP, str(VPORT), str(n)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def command(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        out = []
        while True:
            got = self.p.stdout.readline()
            if not got:
                raise RuntimeError(f"long client died answering {line!r}: {out}")
            got = got.strip()
            if got == "done":
                return out
            out.append(got)

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(5)


# One connection to VIP:3306 that, once it has carried a few lines (so the
# sync master sent it), waits for an ARP frame claiming the VIP from a MAC
# other than argv[3] (the takeover's gratuitous ARP) and at that instant
# sends a line: the client's first packet after it learns the new holder.
# Prints "ready <real's name>", then "answer <line>" or "error <why>".
GARP_CLIENT = r"""
import socket, sys
vip, port, old_mac = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = socket.create_connection((vip, port), timeout=30)
f = c.makefile("rb")
owner = f.readline().decode().split()[0]
for _ in range(3):
    c.sendall(b"before\n")
    f.readline()
a = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
a.bind(("eth0", 0x0806))
print("ready", owner, flush=True)
while True:
    fr = a.recv(2048)
    sha = ":".join(f"{b:02x}" for b in fr[22:28])
    if len(fr) >= 42 and socket.inet_ntoa(fr[28:32]) == vip and sha != old_mac:
        break
try:
    c.sendall(b"at-garp\n")
    print("answer", f.readline().decode().strip() or "closed", flush=True)
except OSError as e:
    print("error", e, flush=True)
"""


class GarpClient:
    def __init__(self, lab, old_holder="ndb1"):
        self.p = lab.net.popen("client", [sys.executable, "-c", GARP_CLIENT, VIP, str(VPORT), lab.mac(old_holder)],
                               stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().split()
        if len(line) != 2 or line[0] != "ready":
            raise RuntimeError(f"GARP client did not start: {line!r}")
        self.owner = line[1]  # the real serving its connection

    def result(self, timeout=60):
        """The client's last line: "answer sql1 at-garp" or "error ..."."""
        try:
            out, _ = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, _ = self.p.communicate()
        return out.strip() or f"- exit {self.p.returncode}"
