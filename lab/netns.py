"""Network namespaces for the lab, the root-only test suites and the benchmarks.

A Lab is a throw-away set of namespaces that share one unique prefix, so
several runs (and several Labs in one run) never collide, and so a run
that died can be recognised and swept away by the next one. It builds:

  hosts     a namespace each (`<prefix>-<name>`), lo up, nothing else;
  bridges   a LAN bridge in a namespace of its own (`<prefix>-<name>`
            holding `br0`), never in the machine's own namespace;
  plugs     a veth pair from a host (renamed eth0, eth1, ...) to a bridge;
  links     a veth pair straight between two hosts (a crossover cable).

Every veth is created inside the namespaces it belongs to, so no interface
name is ever taken in the machine's namespace, nothing is bridged to a real
interface, and no namespace gets a default route: no packet leaves.

    import netns
    OK, WHY = netns.can_run()

    @unittest.skipUnless(OK, WHY)
    class MyTest(unittest.TestCase):
        def setUp(self):
            self.lab = netns.Lab("ipa")
            self.addCleanup(self.lab.destroy)      # even when setUp fails later
            lan = self.lab.add_bridge("lan")
            self.lab.add_host("d1")
            self.lab.plug("d1", lan, "eth0", addrs=["192.168.131.164/24"])
            out = self.lab.run("d1", ["ip", "-o", "addr"]).stdout

Processes: run() waits for a command; popen() starts one in the background
(optionally in its own UTS namespace with a host name, as heartbeat needs
`uname -n` to be the node name) and remembers it. destroy() ends what
popen() started, by pid, then whatever is left inside the Lab's own
namespaces (`ip netns pids`), then deletes the namespaces. destroy() is
idempotent and also runs at interpreter exit, and a SIGTERM to the test
process (when nobody else handles it) becomes a normal exit so that
happens too.

PacketCapture records frames on a namespace's interface with kernel
timestamps (an AF_PACKET socket in a helper process), for tests that check
what goes on the wire (gratuitous ARP, VRRP-like adverts, ...).
"""
import atexit
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

PREFIX_ROOT = "halbt"  # every Lab namespace starts with this, then <pid>x<n>-
_STALE = re.compile(rf"^{PREFIX_ROOT}(\d+)x")
_counter = itertools.count(1)


def can_run():
    """(True, "") when namespaces can be built here, else (False, why).

    Suites call this once at import and skip with the reason."""
    if os.geteuid() != 0:
        return False, "needs root for network namespaces"
    for tool in ("ip", "unshare"):
        if not shutil.which(tool):
            return False, f"{tool} is not installed"
    probe = f"{PREFIX_ROOT}{os.getpid()}x0-probe"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if r.returncode != 0:
        return False, f"ip netns add failed: {r.stderr.strip() or 'no namespace support'}"
    r = subprocess.run(["ip", "-n", probe, "link", "add", "p0", "type", "veth", "peer", "name", "p1"],
                       capture_output=True, text=True)
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    if r.returncode != 0:
        return False, f"cannot create veth pairs: {r.stderr.strip()}"
    return True, ""


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_namespace(name):
    """SIGKILL what runs inside namespace `name`, then delete it."""
    pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout.split()
    for p in pids:
        try:
            os.kill(int(p), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    # A killed process can hold the namespace for a moment; retry briefly.
    for _ in range(50):
        r = subprocess.run(["ip", "netns", "del", name], capture_output=True, text=True)
        if r.returncode == 0 or name not in list_namespaces():
            return
        time.sleep(0.02)


def list_namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def sweep_stale():
    """Delete Lab namespaces left by runs whose process is gone (a run
    killed with SIGKILL cannot clean up after itself)."""
    for name in list_namespaces():
        m = _STALE.match(name)
        if m and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
            _kill_namespace(name)


_sigterm_hooked = False


def _hook_sigterm():
    # atexit handlers do not run when SIGTERM kills the interpreter; turning
    # it into SystemExit lets them (and every finally block) run. Only when
    # nobody installed a handler of their own.
    global _sigterm_hooked
    if _sigterm_hooked:
        return
    _sigterm_hooked = True
    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    except ValueError:
        pass  # not the main thread: leave signals alone


class CommandError(RuntimeError):
    pass


class Lab:
    """Namespaces sharing one unique prefix; see the module docstring."""

    def __init__(self, tag="t", prefix=None, keep=False):
        """keep=True: a Lab that outlives this process (halb-lab up): it
        takes `prefix` as given (outside the halbt<pid>x pattern that
        sweep_stale() reclaims) and is not destroyed at exit; a later
        process re-opens it with Lab.attach()."""
        sweep_stale()
        # Namespace names have no short length limit, but keep them readable.
        self.prefix = prefix or f"{PREFIX_ROOT}{os.getpid()}x{next(_counter)}{re.sub(r'[^a-z0-9]', '', tag.lower())[:8]}"
        self.namespaces = []  # full names, in creation order
        self.procs = []       # Popen objects we started
        self._bridges = {}    # bridge namespace -> next port number
        self.ports = {}       # (host, ifname) -> its bridge port, to unplug at the switch
        self._destroyed = False
        if not keep:
            atexit.register(self.destroy)
            _hook_sigterm()

    def to_json(self):
        """What attach() needs to find this Lab again."""
        return {"prefix": self.prefix, "namespaces": self.namespaces,
                "bridges": {ns: br for ns, (br, _) in self._bridges.items()},
                "ports": [[h, i, b, p] for (h, i), (b, p) in self.ports.items()]}

    @classmethod
    def attach(cls, data):
        """The kept Lab described by to_json(), in another process."""
        lab = cls(prefix=data["prefix"], keep=True)
        lab.namespaces = list(data["namespaces"])
        lab._bridges = {ns: (br, itertools.count(100)) for ns, br in data["bridges"].items()}
        lab.ports = {(h, i): (b, p) for h, i, b, p in data["ports"]}
        return lab

    # ---- names ------------------------------------------------------------
    def ns(self, name):
        """Full namespace name of host or bridge `name`."""
        return f"{self.prefix}-{name}"

    # ---- topology -----------------------------------------------------------
    def add_host(self, name):
        """A namespace with lo up. Returns `name`."""
        full = self.ns(name)
        _run(["ip", "netns", "add", full])
        self.namespaces.append(full)
        self.ip(name, "link", "set", "lo", "up")
        return name

    def add_bridge(self, name="lan", bridge="br0"):
        """A namespace holding one bridge (STP off, no address). Returns `name`."""
        self.add_host(name)
        self.ip(name, "link", "add", bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0")
        self.ip(name, "link", "set", bridge, "up")
        self._bridges[name] = (bridge, itertools.count(0))
        return name

    def plug(self, host, bridge_ns, ifname="eth0", addrs=(), mac=None):
        """Connect `host` to the bridge in `bridge_ns` with a veth pair whose
        host end is `ifname`; adds `addrs` ("10.0.0.1/24", IPv6 with nodad
        so it is usable at once). Returns the host end's name."""
        bridge, ports = self._bridges[bridge_ns]
        port = f"p{next(ports)}"
        cmd = ["link", "add", ifname]
        if mac:
            cmd += ["address", mac]
        self.ip(host, *cmd, "type", "veth", "peer", "name", port, "netns", self.ns(bridge_ns))
        self.ports[(host, ifname)] = (bridge_ns, port)
        self.ip(bridge_ns, "link", "set", port, "master", bridge)
        self.ip(bridge_ns, "link", "set", port, "up")
        self._configure(host, ifname, addrs)
        return ifname

    def link(self, host_a, host_b, ifname_a="eth1", ifname_b="eth1", addrs_a=(), addrs_b=()):
        """A crossover veth straight from host_a to host_b."""
        # Created under a temporary peer name: ifname_b may equal ifname_a,
        # and both ends start in host_a's namespace.
        tmp = f"x{next(_counter)}"
        self.ip(host_a, "link", "add", ifname_a, "type", "veth", "peer", "name", tmp, "netns", self.ns(host_b))
        if tmp != ifname_b:
            self.ip(host_b, "link", "set", tmp, "name", ifname_b)
        self._configure(host_a, ifname_a, addrs_a)
        self._configure(host_b, ifname_b, addrs_b)

    def _configure(self, host, ifname, addrs):
        for a in addrs:
            extra = ["nodad"] if ":" in a else []
            self.ip(host, "addr", "add", a, "dev", ifname, *extra)
        self.ip(host, "link", "set", ifname, "up")

    def set_link(self, host, ifname, up):
        self.ip(host, "link", "set", ifname, "up" if up else "down")

    # ---- commands -----------------------------------------------------------
    def ip(self, host, *args, check=True):
        """`ip -n <ns> args...`; returns stdout (raises CommandError when it fails and check)."""
        return _run(["ip", "-n", self.ns(host)] + list(args), check=check).stdout

    def argv(self, host, argv, hostname=None):
        """The command line that runs `argv` inside host (and, with
        `hostname`, in a UTS namespace of its own with that host name). The
        command is exec'ed, so the pid of a started process is its own."""
        pre = ["ip", "netns", "exec", self.ns(host)]
        if hostname:
            pre += ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', hostname]
        return pre + list(argv)

    def run(self, host, argv, check=False, timeout=60, hostname=None, input=None):
        """Run argv in host and wait; returns CompletedProcess with text stdout/stderr."""
        return _run(self.argv(host, argv, hostname), check=check, timeout=timeout, input=input)

    def popen(self, host, argv, hostname=None, **popen_kw):
        """Start argv in host in the background; destroy() ends it if still running."""
        p = subprocess.Popen(self.argv(host, argv, hostname), **popen_kw)
        self.procs.append(p)
        return p

    # ---- queries --------------------------------------------------------------
    def mac(self, host, ifname):
        return json.loads(self.ip(host, "-j", "link", "show", "dev", ifname))[0]["address"]

    def addresses(self, host, ifname):
        """[{"local", "prefixlen", "family", "label", "broadcast"...}] as `ip -j addr` gives."""
        data = json.loads(self.ip(host, "-j", "addr", "show", "dev", ifname))
        return data[0].get("addr_info", []) if data else []

    def neighbour(self, host, address):
        """(lladdr, [states]) of host's neighbour entry for address, or None."""
        for e in json.loads(self.ip(host, "-j", "neigh", "show", "to", address) or "[]"):
            if e.get("dst") == address:
                return e.get("lladdr"), e.get("state", [])
        return None

    # ---- cleanup ----------------------------------------------------------------
    def destroy(self):
        """End our processes (by pid), then delete our namespaces. Safe to call twice."""
        if self._destroyed:
            return
        self._destroyed = True
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 3
        for p in self.procs:
            try:
                p.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        for name in reversed(self.namespaces):
            _kill_namespace(name)
        self.namespaces = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.destroy()


def _run(argv, check=True, timeout=60, input=None):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input)
    if check and r.returncode != 0:
        raise CommandError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


# ---- packet capture -----------------------------------------------------------

# Runs inside the namespace: prints "ready", then one JSON line per frame
# (kernel receive time, bytes, packet type) until stdin closes or the time
# limit passes.
_CAPTURE = r"""
import json, select, socket, struct, sys, time
ifname, proto, limit = sys.argv[1], int(sys.argv[2], 0), float(sys.argv[3])
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
s.bind((ifname, proto))
print("ready", flush=True)
end = time.monotonic() + limit
while time.monotonic() < end:
    r, _, _ = select.select([s, sys.stdin], [], [], max(0.0, end - time.monotonic()))
    if sys.stdin in r and not sys.stdin.buffer.read1(4096):
        break
    if s not in r:
        continue
    data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(16))
    t = time.time()
    for level, kind, d in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(d) >= 16:
            sec, nsec = struct.unpack("qq", d[:16])
            t = sec + nsec / 1e9
    print(json.dumps({"t": t, "hex": data.hex(), "pkttype": addr[2]}), flush=True)
"""

PACKET_OUTGOING = 4  # sockaddr_ll.sll_pkttype of frames this host sent
ETH_P_ARP = 0x0806
ETH_P_ALL = 0x0003


class PacketCapture:
    """Frames arriving on one interface of a Lab host.

        cap = PacketCapture(lab, "client", "eth0", netns.ETH_P_ARP)
        ... make traffic ...
        frames = cap.stop()   # [(kernel time, bytes)], received frames only
    """

    def __init__(self, lab, host, ifname, proto=ETH_P_ALL, limit_s=60):
        self.p = lab.popen(host, [sys.executable, "-c", _CAPTURE, ifname, str(proto), str(limit_s)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.p.stdout.readline()
        if line.strip() != b"ready":
            err = self.p.stderr.read().decode(errors="replace") if self.p.poll() is not None else ""
            raise CommandError(f"packet capture on {host}/{ifname} did not start: {line!r} {err}")

    def stop(self, include_outgoing=False):
        # communicate() closes stdin, which is the helper's signal to stop.
        out, _ = self.p.communicate(timeout=10)
        frames = []
        for line in out.decode().splitlines():
            rec = json.loads(line)
            if rec["pkttype"] == PACKET_OUTGOING and not include_outgoing:
                continue
            frames.append((rec["t"], bytes.fromhex(rec["hex"])))
        return frames


def parse_arp(frame):
    """An Ethernet+ARP frame as a dict (dst, src, op, sha, spa, tha, tpa); None if not ARP."""
    if len(frame) < 42 or frame[12:14] != b"\x08\x06":
        return None

    def mac(b):
        return ":".join(f"{x:02x}" for x in b)

    def ip4(b):
        return ".".join(str(x) for x in b)

    return {
        "dst": mac(frame[0:6]), "src": mac(frame[6:12]),
        "htype": int.from_bytes(frame[14:16], "big"), "ptype": int.from_bytes(frame[16:18], "big"),
        "hlen": frame[18], "plen": frame[19], "op": int.from_bytes(frame[20:22], "big"),
        "sha": mac(frame[22:28]), "spa": ip4(frame[28:32]), "tha": mac(frame[32:38]), "tpa": ip4(frame[38:42]),
    }
