"""The seed's whole topology on one machine: what `halb-lab up` builds,
`down` removes and every drill acts on.

  ndb1, ndb2   directors (halb-heartbeat, halb-lvsd, halb-director started
               by heartbeat's ldirectord agent) and management servers
               (halb-mgmd), SQL nodes (halb-sqld) when it is built
  sql1, sql2   data nodes (halb-ndbd, NoOfReplicas=2: one node group), SQL
               nodes (halb-sqld) behind the VIP, halb-noarp
  client       where the workload runs

Two modes:
  netns     (root) a namespace per host, the LAN a bridge in a namespace of
            its own whose br0 is the seed's gateway (ipfail's ping node),
            the crossover a veth between ndb1 and ndb2 (lab/netns.py);
  loopback  (no privileges) every host an address of one free 127.x.y.0/24,
            heartbeat on ucast bound to each director's address, no
            IPAddr2 (halb-lvsd binds the VIP when halb-director adds the
            service), the cluster's internals on 127.0.0.1 with free ports.

Everything lives under the state dir (configs, logs, pids, state.json), so
`up`, `drill`, `status`, `report` and `down` can be separate processes; the
daemons run in sessions of their own and are ended by pid.
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

import netns
import seed

HERE = os.path.dirname(os.path.abspath(__file__))
NS_PREFIX = "halblab"  # kept namespaces: outside netns.sweep_stale()'s pattern


def default_state_dir():
    if os.geteuid() == 0:
        return "/run/halb-lab"
    return os.path.join(os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/halb-lab-{os.getuid()}", "halb-lab")


def default_mode():
    return "netns" if netns.can_run()[0] else "loopback"


class LabError(RuntimeError):
    pass


def pid_alive(pid):
    """True while pid runs (a zombie we have not reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    if state == "Z":
        try:
            os.waitpid(pid, os.WNOHANG)  # ours: reap it
        except ChildProcessError:
            pass
        return False
    return True


def ancestors():
    """This process and every process above it."""
    out = set()
    pid = os.getpid()
    while pid > 1 and pid not in out:
        out.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return out


def free_ports(kinds):
    """One free port per socket kind in `kinds`, all different (held
    open together while they are picked)."""
    socks = []
    try:
        for kind in kinds:
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return tuple(s.getsockname()[1] for s in socks)
    finally:
        for s in socks:
            s.close()


class ClusterLab:
    def __init__(self, state_dir, build_dir, log=print):
        self.state_dir = os.path.abspath(state_dir)
        self.build = os.path.abspath(build_dir)
        self.log = log
        self.st = None    # state.json contents
        self.net = None   # netns.Lab in netns mode
        self.t = None     # seed.Topology
        self.here = HERE
        # Debian's python3 carries PyMySQL (python3-pymysql) for the workload.
        self.python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable

    # ---- state -------------------------------------------------------------
    @property
    def state_file(self):
        return os.path.join(self.state_dir, "state.json")

    def exists(self):
        return os.path.exists(self.state_file)

    def load(self):
        if not self.exists():
            raise LabError(f"no lab is up (no {self.state_file}); run: halb-lab up")
        with open(self.state_file) as f:
            self.st = json.load(f)
        self.t = seed.Topology.from_json(self.st["topology"])
        if self.st["mode"] == "netns" and self.st.get("netns"):
            self.net = netns.Lab.attach(self.st["netns"])
        return self

    def save(self):
        if self.net:
            self.st["netns"] = self.net.to_json()
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.st, f, indent=1)
        os.replace(tmp, self.state_file)

    @property
    def mode(self):
        return self.st["mode"]

    @property
    def backend(self):
        return self.st.get("backend", "lvsd")

    # ---- paths -------------------------------------------------------------
    def host_dir(self, host, *sub):
        return os.path.join(self.state_dir, "hosts", host, *sub)

    def program(self, name):
        for d in (self.build, os.path.join(self.build, "tests", "tools")):
            p = os.path.join(d, name)
            if os.access(p, os.X_OK):
                return p
        found = shutil.which(name)
        if found:
            return found
        raise LabError(f"{name} is not built under {self.build} and not installed")

    def has_program(self, name):
        try:
            self.program(name)
            return True
        except LabError:
            return False

    def sqld_reason(self):
        """Why the SQL nodes cannot run, or None when halb-sqld is there."""
        if self.has_program("halb-sqld"):
            return None
        return "halb-sqld is not built yet (issue 7): no SQL nodes, no workload through the VIP"

    # ---- up --------------------------------------------------------------------
    def up(self, mode=None, topology_file=None, backend="lvsd"):
        """backend "lvsd": halb-lvsd forwards on the directors (this
        machine's kernel has no IPVS); "kernel": the kernel's IPVS in
        direct-routing mode with the seed's whole haresources line (sync
        daemon swap included), as inside the VM rig."""
        if self.exists():
            raise LabError(f"a lab is already up in {self.state_dir} (halb-lab down first)")
        mode = mode or default_mode()
        if mode == "vm":
            raise LabError("a vm lab lives as long as the process that booted the VM: "
                           "run `halb-lab demo --mode vm` (or tests/vm/test_lab_vm.py)")
        if backend not in ("lvsd", "kernel") or (backend == "kernel" and mode != "netns"):
            raise LabError(f"backend {backend!r}: lvsd, or kernel in netns mode")
        if mode not in ("netns", "loopback"):
            raise LabError(f"unknown mode {mode!r}: netns, loopback or vm")
        if mode == "netns":
            ok, why = netns.can_run()
            if not ok:
                raise LabError(f"netns mode: {why} (try --mode loopback)")
        try:
            overrides = seed.Topology.load(topology_file).to_json() if topology_file else None
        except ValueError as e:
            raise LabError(str(e))
        if overrides:
            overrides.pop("mode", None)
        os.makedirs(self.state_dir, exist_ok=True)
        if mode == "loopback":
            block = (random.randint(100, 250), random.randint(1, 250))
            tcp, udp = socket.SOCK_STREAM, socket.SOCK_DGRAM
            self.t = seed.Topology.loopback(block, free_ports((tcp, tcp, tcp, udp)), overrides)
        else:
            if backend == "kernel":
                # TCG runs every namespace on one emulated CPU: drlab's slower
                # timers, so load never looks like a dead peer.
                overrides = {"keepalive": "500ms", "deadtime": "5", "warntime": "3", "initdead": "10",
                             "ndb_heartbeat_ms": 1500, **(overrides or {})}
            self.t = seed.Topology("netns", overrides)
            self.t.backend = backend
        self.st = {"mode": mode, "backend": backend, "topology": self.t.to_json(), "procs": {}, "created": time.time(),
                   "build": self.build, "sqld": self.sqld_reason() is None, "events": []}
        self.save()
        try:
            if mode == "netns":
                self.build_namespaces()
            for attempt in range(3):
                self.write_configs()
                self.save()
                try:
                    self.start_all()
                    break
                except LabError as e:
                    # On loopback another program can take a probed port
                    # before our daemon binds it: new ports, again.
                    if mode != "loopback" or "already in use" not in str(e) or attempt == 2:
                        raise
                    self.log("* a port was taken meanwhile; again with new ports")
                    self.stop_daemons()
                    self.t = seed.Topology.loopback(block, free_ports((tcp, tcp, tcp, udp)), overrides)
                    self.st["topology"] = self.t.to_json()
        except BaseException:
            self.log("* up failed: tearing down what was built")
            self.down(quiet=True)
            raise

    def build_namespaces(self):
        tag = f"{NS_PREFIX}{os.getpid() % 100000}"
        self.net = netns.Lab(prefix=tag, keep=True)
        self.save()  # the prefix first: down finds namespaces of a build cut short
        t = self.t
        lan = self.net.add_bridge("lan")
        # br0 carries the seed's gateway address: ipfail's ping node.
        self.net.ip("lan", "addr", "add", f"{t.gateway}/24", "dev", "br0")
        for host, ip in t.hosts.items():
            self.net.add_host(host)
            self.net.plug(host, lan, "eth0", addrs=[f"{ip}/24"])
        self.net.link("ndb1", "ndb2", addrs_a=[f"{t.crossover['ndb1']}/24"], addrs_b=[f"{t.crossover['ndb2']}/24"])
        self.log(f"* namespaces {', '.join(self.net.namespaces)} (LAN bridge, crossover veth)")

    def write_configs(self):
        t = self.t
        ids = seed.node_ids()
        data_dirs = {h: self.host_dir(h, "var", "lib", "mysql-cluster") for h in list(seed.DIRECTORS) + list(seed.REALS)}
        for host in list(seed.DIRECTORS) + list(seed.REALS) + ["client"]:
            for sub in ("etc/ha.d/resource.d", "run", "state", "log", "var/lib/mysql-cluster", "var/lib/mysql"):
                os.makedirs(self.host_dir(host, *sub.split("/")), exist_ok=True)
        for host in seed.DIRECTORS:
            hd = lambda *p: self.host_dir(host, *p)  # noqa: E731
            self._write(hd("etc", "ha.d", "ha.cf"), seed.ha_cf(t, host))
            self._write(hd("etc", "ha.d", "haresources"), seed.haresources(t, sync=self.backend == "kernel"))
            self._write(hd("etc", "ha.d", "authkeys"), seed.SEED_AUTHKEYS, 0o600)
            self._write(hd("etc", "ha.d", "ldirectord.cf"), seed.ldirectord_cf(t, hd("log", "ldirectord.log")))
            self._write(hd("var", "lib", "mysql-cluster", "config.ini"), seed.config_ini(t, data_dirs))
        for host in ids["sqld"]:
            self._write(self.host_dir(host, "etc", "my.cnf"),
                        seed.my_cnf(t, host, self.host_dir(host, "run", "mysqld.sock")))
            self._write(self.host_dir(host, "etc", "root-password"), t.root_password + "\n", 0o600)

    @staticmethod
    def _write(path, text, mode=0o644):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    # ---- processes ---------------------------------------------------------
    def argv_in(self, host, argv):
        """argv as it runs on `host` (inside its namespace in netns mode)."""
        if self.mode == "netns":
            return ["ip", "netns", "exec", self.net.ns(host)] + list(argv)
        return list(argv)

    def run_in(self, host, argv, timeout=30, input=None):
        return subprocess.run(self.argv_in(host, argv), capture_output=True, text=True, timeout=timeout, input=input)

    def start(self, name, host, argv):
        """Start a daemon in the foreground of a session of its own, its
        output in hosts/<host>/log/<name>.log; remembered by pid."""
        logp = self.host_dir(host, "log", f"{name}.log")
        with open(logp, "ab") as out:
            p = subprocess.Popen(self.argv_in(host, argv), stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        self.st["procs"][name] = {"pid": p.pid, "host": host, "argv": argv, "log": logp}
        self.save()
        return p.pid

    def pid(self, name):
        p = self.st["procs"].get(name)
        return p["pid"] if p and pid_alive(p["pid"]) else None

    def kill(self, name, sig=signal.SIGKILL, wait=10):
        """Signal one of our daemons by pid and wait until it is gone."""
        pid = self.pid(name)
        if not pid:
            return False
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while pid_alive(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 5
            time.sleep(0.02)
        return True

    def stop_daemons(self):
        """SIGKILL every daemon started so far (a failed start's leftovers)."""
        for name in list(self.st["procs"]):
            self.kill(name, signal.SIGKILL)
        for host in seed.DIRECTORS:
            d = self.director_pid(host)
            if d:
                os.kill(d, signal.SIGKILL)
        self.st["procs"] = {}
        self.save()

    def restart(self, name):
        p = self.st["procs"][name]
        self.kill(name)
        return self.start(name, p["host"], p["argv"])

    def director_pid(self, host):
        """halb-director, started by heartbeat's ldirectord agent: by its pid file."""
        try:
            with open(self.host_dir(host, "run", "halb-director.ldirectord.cf.pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) else None

    def lab_pids(self):
        """Every live process of this lab: ours by record, heartbeat's
        children by pid file, and (loopback) any process whose command line
        names this lab's state dir; (netns) whatever runs in its namespaces."""
        pids = {p["pid"] for p in self.st["procs"].values() if pid_alive(p["pid"])}
        for host in seed.DIRECTORS:
            d = self.director_pid(host)
            if d:
                pids.add(d)
        # Every lab process names the state dir (configs, run dirs, the
        # workload's history); this process and its callers do too.
        marker = (self.state_dir + os.sep).encode()
        mine = ancestors()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in mine:
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if marker in f.read() and pid_alive(int(entry)):
                        pids.add(int(entry))
            except OSError:
                pass
        if self.net:
            for ns in self.net.namespaces:
                out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
                pids.update(int(p) for p in out.split() if p.isdigit() and pid_alive(int(p)))
        return pids

    # ---- bring-up ------------------------------------------------------------
    def mgmd_argv(self, host):
        t = self.t
        return [self.program("halb-mgmd"), "-f", self.host_dir(host, "var", "lib", "mysql-cluster", "config.ini"),
                "--ndb-nodeid", str(seed.node_ids()["mgmd"][host]), "--foreground",
                "--bind-address", t.mgm_host(host), "--run-dir", self.host_dir(host, "run")]

    def ndbd_argv(self, host):
        return [self.program("halb-ndbd"), "-c", self.t.mgm_connectstring(),
                "--ndb-nodeid", str(seed.node_ids()["ndbd"][host]), "--foreground",
                "--run-dir", self.host_dir(host, "run")]

    def sqld_argv(self, host):
        # The command line issue 7's brief gives halb-sqld; the node id
        # comes from the management server (a free [mysqld] slot).
        return [self.program("halb-sqld"), f"--defaults-file={self.host_dir(host, 'etc', 'my.cnf')}",
                "--foreground", "--run-dir", self.host_dir(host, "run"),
                f"--initial-root-password-file={self.host_dir(host, 'etc', 'root-password')}"]

    def lvsd_argv(self, host):
        return [self.program("halb-lvsd"), "--foreground", "--run-dir", self.host_dir(host, "run"),
                "--logfacility", "none", "--threads", "1", "--log-file", self.host_dir(host, "log", "lvsd.log")]

    def heartbeat_argv(self, host):
        return [self.program("halb-heartbeat"), "--foreground", "--node", host,
                "--config-dir", self.host_dir(host, "etc", "ha.d"), "--run-dir", self.host_dir(host, "run"),
                "--state-dir", self.host_dir(host, "state"), "--log-file", self.host_dir(host, "log", "ha-log")]

    def host_daemons(self, host):
        """(name, argv) of every daemon `host` runs, in start order."""
        out = []
        if host in seed.DIRECTORS:
            out.append((f"mgmd-{host}", self.mgmd_argv(host)))
        if host in seed.REALS:
            out.append((f"ndbd-{host}", self.ndbd_argv(host)))
        if self.st["sqld"] and host in seed.node_ids()["sqld"]:
            out.append((f"sqld-{host}", self.sqld_argv(host)))
        if host in seed.DIRECTORS:
            if self.backend == "lvsd":
                out.append((f"lvsd-{host}", self.lvsd_argv(host)))
            out.append((f"hb-{host}", self.heartbeat_argv(host)))
        return out

    def start_all(self):
        for host in seed.DIRECTORS:
            self.start(f"mgmd-{host}", host, self.mgmd_argv(host))
        self.wait(lambda: all(self.mgm_reachable(h) for h in seed.DIRECTORS), 20, "both halb-mgmd answering",
                  procs=[f"mgmd-{h}" for h in seed.DIRECTORS])
        self.log(f"* halb-mgmd on ndb1 and ndb2 ({self.t.mgm_connectstring()})")
        for host in seed.REALS:
            self.start(f"ndbd-{host}", host, self.ndbd_argv(host))
        self.wait(lambda: all(self.ndbd_status(h) == "started" for h in seed.REALS), 60, "both data nodes started",
                  procs=[f"ndbd-{h}" for h in seed.REALS])
        self.log("* halb-ndbd on sql1 and sql2 started (NoOfReplicas=2, one node group)")
        if self.mode == "netns":
            for host in seed.REALS:
                self.noarp(host, "start")
            self.log(f"* halb-noarp on sql1 and sql2: VIP {self.t.vip} on lo, ARP for it suppressed")
        if self.st["sqld"]:
            for host in seed.node_ids()["sqld"]:
                self.start(f"sqld-{host}", host, self.sqld_argv(host))
            self.wait(lambda: all(self.port_open(h, self.t.hosts[h], self.t.port) for h in seed.node_ids()["sqld"]),
                      30, "halb-sqld listening on every SQL node")
            self.setup_schema()
            self.log("* halb-sqld on ndb1, ndb2, sql1, sql2; schema and users created")
        else:
            self.log(f"* SQL nodes skipped: {self.sqld_reason()}")
        if self.backend == "kernel":
            for m in ("bridge", "nf_tables", "ip_vs", "ip_vs_wrr"):
                subprocess.run(["modprobe", m], capture_output=True)
        for host in seed.DIRECTORS:
            if self.backend == "lvsd":
                self.start(f"lvsd-{host}", host, self.lvsd_argv(host))
            self.start(f"hb-{host}", host, self.heartbeat_argv(host))
        if self.backend == "kernel":
            # heartbeat starts nothing for a group it does not hold: the
            # standby's sync backup is the administrator's boot-time step
            # (the seed's ndb2 shows a running ipvs_syncbackup).
            self.syncswap("ndb2", "stop")
        self.wait(lambda: self.vip_holder() == "ndb1", 60, "ndb1 holding the VIP")
        self.log(f"* halb-heartbeat on ndb1 and ndb2; ndb1 holds VIP {self.t.vip} and runs halb-director"
                 f" ({'the kernel IPVS, direct routing' if self.backend == 'kernel' else 'halb-lvsd'})")
        self.event("up", "lab up")

    def wait(self, pred, timeout, what, procs=()):
        """Poll pred until true; fails at once when one of `procs` (our
        daemons' names) has exited meanwhile."""
        t0 = time.monotonic()
        said = t0
        while not pred():
            now = time.monotonic()
            gone = [n for n in procs if not self.pid(n)]
            if gone:
                raise LabError(f"{', '.join(gone)} exited while waiting for {what}\n{self.recent_logs()}")
            if now - t0 > timeout:
                raise LabError(f"timed out after {timeout} s waiting for {what}\n{self.recent_logs()}")
            if now - said >= 5:
                said = now
                self.log(f"  ... {what}: {now - t0:.0f} s")
            time.sleep(0.1)

    def recent_logs(self, lines=15):
        out = []
        for name, p in sorted(self.st["procs"].items()):
            try:
                with open(p["log"], errors="replace") as f:
                    tail = f.read().splitlines()[-lines:]
            except OSError:
                continue
            state = "running" if pid_alive(p["pid"]) else "exited"
            out.append(f"--- {name} ({state}) {p['log']}\n" + "\n".join(tail))
        return "\n".join(out)

    def syncswap(self, host, op):
        env = dict(os.environ, HALB_RUN_DIR=self.host_dir(host, "run"))
        return subprocess.run(self.argv_in(host, [self.program("halb-syncswap"), "master", op]), env=env,
                              capture_output=True, text=True, timeout=30)

    def ipvs_table(self, host):
        """The director's virtual server table, as halb-adm lists it."""
        argv = [self.program("halb-adm"), "--backend", self.backend, "-L", "-n"]
        if self.backend == "lvsd":
            argv[3:3] = ["--lvsd-socket", self.host_dir(host, "run", "halb-lvsd.sock")]
        r = subprocess.run(self.argv_in(host, argv), capture_output=True, text=True, timeout=30)
        return r.stdout + r.stderr

    def noarp(self, host, op):
        r = self.run_in(host, [self.program("halb-noarp"), "--method", "nft", "--config-dir",
                               self.host_dir(host, "etc"), "--run-dir", self.host_dir(host, "run"), self.t.vip, op])
        if r.returncode != 0 and op == "start":
            raise LabError(f"halb-noarp start on {host}: {r.stderr.strip() or r.stdout.strip()}")

    def port_open(self, host, addr, port):
        probe = ("import socket,sys\ntry:\n socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()\n"
                 "except OSError: sys.exit(1)\n")
        if self.mode == "loopback":
            try:
                socket.create_connection((addr, port), 1).close()
                return True
            except OSError:
                return False
        return self.run_in(host, [sys.executable, "-c", probe, addr, str(port)]).returncode == 0

    def setup_schema(self):
        """The seed's database, its `preference` table and the director's
        check user, created once on sql1 as root over its Unix socket (the
        catalog is cluster-wide)."""
        import workload
        sock = self.host_dir("sql1", "run", "mysqld.sock")
        r = self.run_in("sql1", [self.python, os.path.join(HERE, "workload.py"), "setup",
                                 *workload.connect_args(self.t, self.t.hosts["sql1"], root=True, socket=sock)],
                        timeout=60)
        if r.returncode != 0:
            raise LabError(f"schema setup through sql1 failed:\n{r.stdout}{r.stderr}")

    # ---- observation ---------------------------------------------------------
    def mgm(self, command, host="ndb1", timeout=20):
        """halb-mgm -e COMMAND against both management servers. A client
        that does not answer in time (seen right after a management server
        was killed) is an answer too, not the end of the drill run."""
        try:
            r = self.run_in(host, [self.program("halb-mgm"), "-c", self.t.mgm_connectstring(), "--try-reconnect",
                                   "1", "-e", command], timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"halb-mgm -e '{command}': no answer in {timeout} s\n"
        return r.stdout + r.stderr

    def mgm_reachable(self, director):
        t = self.t
        return self.port_open(director, t.mgm_host(director), t.mgm_port_of(director))

    def ndbd_status(self, host):
        nid = seed.node_ids()["ndbd"][host]
        out = self.mgm(f"{nid} STATUS")
        for line in out.splitlines():
            if line.startswith(f"Node {nid}: "):
                return line.split(": ", 1)[1].split("(")[0].strip()
        return ""

    def hbctl(self, host, *args):
        # A heartbeat too busy to answer in 10 s (a slow VM) is an answer:
        # not ready yet. Callers poll; raising here ended a whole drill.
        try:
            r = self.run_in(host, [self.program("halb-hbctl"), "--run-dir", self.host_dir(host, "run")] + list(args),
                            timeout=10)
        except subprocess.TimeoutExpired:
            return 124, ""
        return r.returncode, r.stdout.strip()

    def vip_holder(self):
        """The director holding the VIP (netns: the address on its live
        eth0; loopback: the resource group, as there is no address to move),
        None when nobody does, "split" when both do."""
        holders = []
        for host in seed.DIRECTORS:
            if self.mode == "netns":
                r = self.run_in(host, ["ip", "-o", "-4", "addr", "show", "dev", "eth0", "up"])
                if f" {self.t.vip}/" in r.stdout:
                    holders.append(host)
            elif self.pid(f"hb-{host}") and self.hbctl(host, "rscstatus")[1] in ("all", "local"):
                holders.append(host)
        return holders[0] if len(holders) == 1 else ("split" if holders else None)

    def ha_log(self, host):
        try:
            with open(self.host_dir(host, "log", "ha-log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def event(self, name, text):
        self.st.setdefault("events", []).append({"t": time.time(), "name": name, "text": text})
        self.save()

    def status(self):
        t = self.t
        lines = [f"lab: {self.mode} ({'kernel IPVS' if self.backend == 'kernel' else 'halb-lvsd'}) in {self.state_dir}, up since "
                 f"{time.strftime('%H:%M:%S', time.localtime(self.st['created']))}",
                 f"VIP {t.vip}:{t.port} held by {self.vip_holder() or 'nobody'}"]
        if self.net:
            lines.append(f"namespaces: {' '.join(self.net.namespaces)}")
        for name, p in sorted(self.st["procs"].items()):
            lines.append(f"  {name:<12} pid {p['pid']:<7} {'running' if pid_alive(p['pid']) else 'NOT RUNNING'}")
        for host in seed.DIRECTORS:
            d = self.director_pid(host)
            lines.append(f"  director-{host:<3} {'pid ' + str(d) if d else 'not running'}")
        for host in seed.REALS:
            lines.append(f"  data node {host}: {self.ndbd_status(host) or 'unknown'}")
        if not self.st["sqld"]:
            lines.append(f"SQL nodes: {self.sqld_reason()}")
            return "\n".join(lines)
        # What a client behind the VIP depends on, for a drill run that got
        # no write through: the holder's table (weights: a quiesced real is
        # 0) and each real's SQL node asked directly.
        holder = self.vip_holder()
        if holder and self.mode != "loopback":
            table = [" ".join(l.split()) for l in self.ipvs_table(holder).splitlines()[3:] if l.strip()]
            lines.append(f"  {holder}'s table: " + (" | ".join(table) or "empty"))
        for host in seed.REALS:
            lines.append(f"  sqld {host} asked directly: {self.probe_sqld(host)}")
        return "\n".join(lines)

    def probe_sqld(self, host):
        """One line: how the SQL node on `host` answers a client (workload.py probe)."""
        import workload
        try:
            r = self.run_in("client", [self.python, os.path.join(self.here, "workload.py"), "probe",
                                       *workload.connect_args(self.t, self.t.hosts[host])], timeout=30)
        except subprocess.TimeoutExpired:
            return "no answer in 30 s"
        text = r.stdout.strip() or r.stderr.strip()
        return text.splitlines()[-1] if text else "no output"

    # ---- faults ----------------------------------------------------------------
    def crash_host(self, host):
        """The machine dies: every daemon of the host SIGKILLed at once (and
        in netns its links go down, so nothing it left behind answers)."""
        for name, p in self.st["procs"].items():
            if p["host"] == host:
                self.kill(name, signal.SIGKILL)
        d = self.director_pid(host) if host in seed.DIRECTORS else None
        if d:
            os.kill(d, signal.SIGKILL)
        if self.mode == "netns":
            for dev in ("eth0", "eth1") if host in seed.DIRECTORS else ("eth0",):
                self.net.ip(host, "link", "set", dev, "down", check=False)

    def revive_host(self, host):
        """The machine boots again: links up, its daemons started as at up."""
        if self.mode == "netns":
            for dev in ("eth0", "eth1") if host in seed.DIRECTORS else ("eth0",):
                self.net.ip(host, "link", "set", dev, "up", check=False)
            # IPAddr2's VIP went with the machine: a fresh boot has none.
            if host in seed.DIRECTORS:
                self.net.ip(host, "addr", "del", f"{self.t.vip}/24", "dev", "eth0", check=False)
        for name, argv in self.host_daemons(host):
            if not self.pid(name):
                self.start(name, host, argv)

    def set_crossover(self, up):
        self.net.set_link("ndb1", "eth1", up)

    def set_lan(self, host, up):
        """Unplug a host's LAN cable at the switch (it cannot undo it)."""
        bridge_ns, port = self.net.ports[(host, "eth0")]
        self.net.set_link(bridge_ns, port, up)

    def partition_data_nodes(self, cut):
        """Drop everything between sql1 and sql2 (both directions, at sql1)."""
        peer = self.t.hosts["sql2"]
        if cut:
            self.net.run("sql1", ["nft", "-f", "-"], check=True, input=(
                "table inet halblab_partition {\n"
                " chain in { type filter hook input priority -10; ip saddr %s drop; }\n"
                " chain out { type filter hook output priority -10; ip daddr %s drop; }\n}\n" % (peer, peer)))
        else:
            self.net.run("sql1", ["nft", "delete", "table", "inet", "halblab_partition"])

    # ---- down --------------------------------------------------------------------
    def down(self, quiet=False):
        """End every process of the lab by pid, delete its namespaces and
        its state dir. Idempotent; works on a half-built lab."""
        if self.st is None:
            self.load()
        for host in seed.REALS:
            if self.mode == "netns" and self.net:
                try:
                    self.noarp(host, "stop")
                except (LabError, OSError, subprocess.SubprocessError):
                    pass
        # Heartbeat first, gracefully: its agents stop halb-director.
        for host in seed.DIRECTORS:
            self.kill(f"hb-{host}", signal.SIGTERM, wait=10)
        for _ in range(3):
            pids = self.lab_pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 5
            while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
                time.sleep(0.02)
        if self.net:
            self.net.destroy()
            # Namespaces made before a crash of `up` could record them.
            for name in netns.list_namespaces():
                if name.startswith(self.net.prefix + "-"):
                    netns._kill_namespace(name)
        shutil.rmtree(self.state_dir, ignore_errors=True)
        if not quiet:
            self.log(f"* lab down: processes ended, namespaces and {self.state_dir} removed")
