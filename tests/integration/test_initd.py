"""The LSB init scripts of etc/init.d, run as an operator runs them: their
headers and usage, `status` of a stopped service (exit 3), and start,
status, reload, restart and stop of the daemons that run unprivileged on
loopback, each against a scratch configuration.

A script reads /etc/default/NAME, which may set DAEMON and the daemon's
options; the test runs a copy whose only change is that path, pointing at a
scratch defaults file that names the built program and scratch folders."""
import os
import re
import signal
import socket
import subprocess
import unittest

from halb import SRC_DIR, TempDir, program, wait_for
from hbnode import HbNode

INITD = os.path.join(SRC_DIR, "etc", "init.d")
SYSTEMD = os.path.join(SRC_DIR, "etc", "systemd")
ACTIONS = ("start", "stop", "restart", "reload", "force-reload", "status")


def scripts():
    return sorted(n for n in os.listdir(INITD) if n.startswith("halb-"))


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def pid_in(status_text):
    """The pid a status line names, in any of the daemons' wordings."""
    m = re.search(r"pid:? (\d+)", status_text)
    return int(m.group(1)) if m else None


def sh_quote(value):
    return "'" + value.replace("'", "'\\''") + "'"


class Scratch:
    """Copies of the init scripts reading their defaults from a scratch
    folder; ends the daemons they started (by pid, only ours) at cleanup."""

    def __init__(self, test):
        self.tmp = TempDir("halb-initd-")
        self.root = self.tmp.path
        self.started = []  # (script, run dir)
        test.addCleanup(self.cleanup)
        for d in ("init.d", "default"):
            os.makedirs(os.path.join(self.root, d))

    def dir(self, *parts):
        p = os.path.join(self.root, *parts)
        os.makedirs(p, exist_ok=True)
        return p

    def script(self, name, run_dir=None, **defaults):
        with open(os.path.join(INITD, name)) as f:
            text = f.read()
        assert "/etc/default/" + name in text, f"{name} does not read /etc/default/{name}"
        path = os.path.join(self.root, "init.d", name)
        with open(path, "w") as f:
            f.write(text.replace("/etc/default/", os.path.join(self.root, "default") + "/"))
        os.chmod(path, 0o755)
        with open(os.path.join(self.root, "default", name), "w") as f:
            f.write(f"DAEMON={sh_quote(program(name))}\n")
            for k, v in defaults.items():
                f.write(f"{k}={sh_quote(v)}\n")
        if run_dir:
            self.started.append((name, run_dir))
        return path

    def run(self, name, action, timeout=90):
        return subprocess.run([os.path.join(self.root, "init.d", name), action], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def cleanup(self):
        for name, run_dir in reversed(self.started):
            try:
                self.run(name, "stop", timeout=60)
            except subprocess.TimeoutExpired:
                pass
            # Anything still running from our scratch folder: ours, by pid.
            for f in os.listdir(run_dir) if os.path.isdir(run_dir) else []:
                if not f.endswith(".pid"):
                    continue
                try:
                    pid = int(open(os.path.join(run_dir, f)).read().split()[0])
                    cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
                except (OSError, ValueError, IndexError):
                    continue
                if self.root.encode() in cmdline:
                    os.kill(pid, signal.SIGKILL)
        self.tmp.cleanup()


class InitScriptsShape(unittest.TestCase):
    def test_every_script_has_lsb_and_chkconfig_headers_usage_unit_and_man_page(self):
        with open(os.path.join(SRC_DIR, "etc", "etc.am")) as f:
            etc_am = f.read()
        with open(os.path.join(SRC_DIR, "man", "man.am")) as f:
            man_am = f.read()
        names = scripts()
        self.assertGreaterEqual(len(names), 7, names)
        s = Scratch(self)
        for name in names:
            with self.subTest(script=name):
                path = os.path.join(INITD, name)
                self.assertTrue(os.access(path, os.X_OK), f"{name} is not executable")
                with open(path) as f:
                    text = f.read()
                self.assertTrue(text.startswith("#!/bin/sh\n"))
                self.assertRegex(text, r"(?m)^# chkconfig: \d+ \d+ \d+$")
                self.assertRegex(text, r"(?m)^# description: ")
                info = re.search(r"### BEGIN INIT INFO\n(.*?)### END INIT INFO", text, re.S)
                self.assertIsNotNone(info, "no LSB INIT INFO block")
                fields = dict(re.findall(r"(?m)^# ([A-Z][A-Za-z-]+):\s+(.*)$", info.group(1)))
                for key in ("Provides", "Required-Start", "Required-Stop", "Default-Start", "Default-Stop",
                            "Short-Description", "Description"):
                    self.assertIn(key, fields)
                self.assertIn(name, fields["Provides"].split())
                self.assertEqual(fields["Default-Start"].split(), ["2", "3", "4", "5"])
                self.assertEqual(fields["Default-Stop"].split(), ["0", "1", "6"])
                # An unknown action: usage naming every LSB action, exit 2.
                s.script(name)
                r = s.run(name, "dance")
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                usage = re.search(r"\{([a-z|-]+)\}", r.stdout + r.stderr)
                self.assertIsNotNone(usage, r.stdout + r.stderr)
                for action in ACTIONS:
                    self.assertIn(action, usage.group(1).split("|"))
                # Its systemd unit starts the same program, and both are installed.
                unit = os.path.join(SYSTEMD, name + ".service")
                with open(unit) as f:
                    self.assertRegex(f.read(), rf"(?m)^ExecStart=/usr/sbin/{name}( |$)")
                self.assertIn(f"etc/init.d/{name}", etc_am)
                self.assertIn(f"etc/systemd/{name}.service", etc_am)
                self.assertIn(f"man/{name}.8", man_am)

    def test_scripts_provide_only_their_own_names(self):
        """insserv (update-rc.d's backend when it is installed) refuses a
        second script providing a name another one provides: a halb script
        claiming Debian's names would make installing halb-director beside
        Debian's ldirectord (the mixed pair) fail. The dependencies name
        only LSB facilities and halb's own scripts."""
        debian_names = {"heartbeat", "ldirectord", "ndb_mgmd", "ndbd", "mysql", "mariadb",
                        "arptables-noarp-addr", "arptables_jf"}
        names = scripts()
        for name in names:
            with self.subTest(script=name):
                with open(os.path.join(INITD, name)) as f:
                    info = re.search(r"### BEGIN INIT INFO\n(.*?)### END INIT INFO", f.read(), re.S).group(1)
                fields = dict(re.findall(r"(?m)^# ([A-Z][A-Za-z-]+):\s+(.*)$", info))
                self.assertEqual(fields["Provides"].split(), [name])
                for key in ("Required-Start", "Required-Stop", "Should-Start", "Should-Stop"):
                    for dep in fields.get(key, "").split():
                        self.assertNotIn(dep, debian_names, f"{key} names Debian's {dep}")
                        self.assertTrue(dep.startswith("$") or dep in names, f"{key}: {dep} is no facility or script")

    def test_status_of_every_stopped_service_is_3(self):
        s = Scratch(self)
        run, conf, state = s.dir("run"), s.dir("conf"), s.dir("state")
        common = f"--run-dir {run} --config-dir {conf}"
        opts = {
            "halb-heartbeat": {"HALB_HEARTBEAT_OPTS": f"{common} --state-dir {state} --node ndb1"},
            "halb-director": {"HALB_DIRECTOR_OPTS": common},
            "halb-lvsd": {"HALB_LVSD_OPTS": f"{common} --state-dir {state}"},
            "halb-mgmd": {"HALB_MGMD_OPTS": f"{common} --state-dir {state}"},
            "halb-ndbd": {"HALB_NDBD_OPTS": f"{common} --state-dir {state}"},
            "halb-sqld": {"HALB_SQLD_OPTS": f"{common} --state-dir {state}"},
            "halb-noarp": {"HALB_NOARP_OPTS": common},
        }
        self.assertEqual(sorted(opts), scripts(), "a new init script needs its options here")
        for name in scripts():
            with self.subTest(script=name):
                s.script(name, **opts[name])
                r = s.run(name, "status")
                self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
                self.assertIn("stopped", r.stdout + r.stderr)
                if name == "halb-noarp":
                    continue  # its stop changes lo and the ARP rules: netns suite only
                # LSB: stopping a stopped service succeeds.
                r = s.run(name, "stop")
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class InitScriptsRun(unittest.TestCase):
    def cycle(self, s, name, ready=None, reload_rc=0):
        """start, status, start again, reload, restart, stop, status."""
        r = s.run(name, "start")
        self.assertEqual(r.returncode, 0, f"{name} start: {r.stdout}{r.stderr}")
        if ready:
            wait_for(ready, 20, what=f"{name} ready")
        r = s.run(name, "status")
        self.assertEqual(r.returncode, 0, f"{name} status: {r.stdout}{r.stderr}")
        pid = pid_in(r.stdout)
        r = s.run(name, "start")
        self.assertEqual(r.returncode, 0, f"{name} second start: {r.stdout}{r.stderr}")
        if pid:  # a second start leaves the running daemon alone
            self.assertEqual(pid_in(s.run(name, "status").stdout), pid)
        r = s.run(name, "reload")
        self.assertEqual(r.returncode, reload_rc, f"{name} reload: {r.stdout}{r.stderr}")
        self.assertEqual(s.run(name, "status").returncode, 0, f"{name} died on reload")
        r = s.run(name, "restart")
        self.assertEqual(r.returncode, 0, f"{name} restart: {r.stdout}{r.stderr}")
        if ready:
            wait_for(ready, 20, what=f"{name} ready after restart")
        r = s.run(name, "status")
        self.assertEqual(r.returncode, 0, f"{name} status after restart: {r.stdout}{r.stderr}")
        if pid:
            self.assertNotEqual(pid_in(r.stdout), pid, "restart kept the old process")
        r = s.run(name, "stop")
        self.assertEqual(r.returncode, 0, f"{name} stop: {r.stdout}{r.stderr}")
        r = s.run(name, "status")
        self.assertEqual(r.returncode, 3, f"{name} status after stop: {r.stdout}{r.stderr}")

    def test_lvsd_and_director_on_it(self):
        s = Scratch(self)
        run = s.dir("run")
        sock = os.path.join(run, "halb-lvsd.sock")
        s.script("halb-lvsd", run_dir=run,
                 HALB_LVSD_OPTS=f"--run-dir {run} --threads 1 --logfacility none --log-file {s.root}/lvsd.log")
        self.cycle(s, "halb-lvsd", ready=lambda: os.path.exists(sock))
        # halb-director fills the table of a running halb-lvsd.
        self.assertEqual(s.run("halb-lvsd", "start").returncode, 0)
        conf = s.dir("ha.d")
        with open(os.path.join(conf, "ldirectord.cf"), "w") as f:
            f.write(f"checkinterval=1\nchecktimeout=1\nquiescent=yes\n"
                    f"virtual=127.0.0.1:{free_tcp_port()}\n\treal=127.0.0.2:{free_tcp_port()} masq 1\n"
                    f"\tchecktype=connect\n\tscheduler=wrr\n")
        s.script("halb-director", run_dir=run, HALB_DIRECTOR_CONFIG="ldirectord.cf",
                 HALB_DIRECTOR_OPTS=f"--config-dir {conf} --run-dir {run} --backend lvsd --lvsd-socket {sock} "
                                    f"--log-file {s.root}/director.log")
        self.cycle(s, "halb-director")
        self.assertEqual(s.run("halb-lvsd", "stop").returncode, 0)

    def test_heartbeat_alone(self):
        s = Scratch(self)
        port = free_tcp_port()
        node = HbNode(s.root, "ndb1",
                      f"udpport {port}\nkeepalive 100ms\nwarntime 500ms\ndeadtime 1\ninitdead 2\n"
                      f"ucast lo 127.0.0.1\nbind_address 127.0.0.1\nauto_failback off\nnode ndb1\nnode ndb2\n",
                      "ndb1 Marker::vip\n")
        s.script("halb-heartbeat", run_dir=node.run,
                 HALB_HEARTBEAT_OPTS=f"--node ndb1 --config-dir {node.conf} --run-dir {node.run} "
                                     f"--state-dir {node.state} --log-file {node.logfile}")
        self.cycle(s, "halb-heartbeat", ready=lambda: os.path.exists(os.path.join(node.run, "heartbeat.sock")))
        self.assertFalse(node.holds("vip"), "the resource was not given up at stop")

    def test_mgmd_a_data_node_and_an_sql_node(self):
        s = Scratch(self)
        run = s.dir("run")
        for d in ("m1", "d2"):
            s.dir(d)
        port = free_tcp_port()
        config = os.path.join(s.root, "config.ini")
        with open(config, "w") as f:
            f.write(f"[NDBD DEFAULT]\nNoOfReplicas=1\nDataMemory=16M\nIndexMemory=8M\n\n"
                    f"[NDB_MGMD]\nId=1\nHostName=127.0.0.1\nPortNumber={port}\nDataDir={s.root}/m1\n\n"
                    f"[NDBD]\nId=2\nHostName=127.0.0.1\nDataDir={s.root}/d2\n\n[MYSQLD]\nId=20\n")
        s.script("halb-mgmd", run_dir=run,
                 HALB_MGMD_OPTS=f"-f {config} --ndb-nodeid 1 --run-dir {run} --log-file {s.root}/mgmd.log")
        self.cycle(s, "halb-mgmd", ready=lambda: port_open(port))
        self.assertEqual(s.run("halb-mgmd", "start").returncode, 0)
        wait_for(lambda: port_open(port), 20, what="halb-mgmd listening")
        s.script("halb-ndbd", run_dir=run,
                 HALB_NDBD_OPTS=f"-c 127.0.0.1:{port} --ndb-nodeid 2 --run-dir {run} "
                                f"--log-file {s.root}/ndbd.log")
        # A data node has nothing to reload: LSB's 3, unimplemented.
        self.cycle(s, "halb-ndbd", reload_rc=3)
        # An SQL node on that cluster.
        self.assertEqual(s.run("halb-ndbd", "start").returncode, 0)
        sql_port = free_tcp_port()
        cnf = os.path.join(s.root, "my.cnf")
        with open(cnf, "w") as f:
            f.write(f"[mysqld]\nndbcluster\nndb-connectstring = \"127.0.0.1:{port}\"\nport = {sql_port}\n"
                    f"socket = {s.root}/sqld.sock\nbind-address = 127.0.0.1\n")
        with open(os.path.join(s.root, "rootpw"), "w") as f:
            f.write("rootpw\n")
        s.script("halb-sqld", run_dir=run,
                 HALB_SQLD_OPTS=f"--defaults-file={cnf} --run-dir {run} --log-file {s.root}/sqld.log "
                                f"--initial-root-password-file {s.root}/rootpw")
        self.cycle(s, "halb-sqld", ready=lambda: port_open(sql_port))
        self.assertEqual(s.run("halb-ndbd", "stop").returncode, 0)
        self.assertEqual(s.run("halb-mgmd", "stop").returncode, 0)


class InitScriptsBadConfig(unittest.TestCase):
    """A configuration error: start exits 6 (LSB: not configured), says
    where, and leaves nothing running."""

    def assert_not_configured(self, s, name, where):
        r = s.run(name, "start")
        self.assertEqual(r.returncode, 6, f"{name} start: {r.stdout}{r.stderr}")
        self.assertIn(where, r.stdout + r.stderr)
        r = s.run(name, "status")
        self.assertEqual(r.returncode, 3, f"{name} status: {r.stdout}{r.stderr}")

    def test_heartbeat_director_mgmd_ndbd_and_sqld(self):
        s = Scratch(self)
        run = s.dir("run")
        node = HbNode(s.root, "ndb1", "udpport 694\nkeepalive 1\ndeadtime 10\nwobble 3\nnode ndb1\nnode ndb2\n",
                      "ndb1 Marker::vip\n")
        s.script("halb-heartbeat", run_dir=node.run,
                 HALB_HEARTBEAT_OPTS=f"--node ndb1 --config-dir {node.conf} --run-dir {node.run} "
                                     f"--state-dir {node.state} --log-file {node.logfile}")
        self.assert_not_configured(s, "halb-heartbeat", "ha.cf:4")
        conf = s.dir("ha.d")
        with open(os.path.join(conf, "ldirectord.cf"), "w") as f:
            f.write("checkinterval=1\nvirtual=127.0.0.1:80\n\treal=nowhere:port masq\n")
        s.script("halb-director", run_dir=run, HALB_DIRECTOR_CONFIG="ldirectord.cf",
                 HALB_DIRECTOR_OPTS=f"--config-dir {conf} --run-dir {run} --backend lvsd "
                                    f"--lvsd-socket {run}/none.sock --log-file {s.root}/director.log")
        self.assert_not_configured(s, "halb-director", "line 3")
        config = os.path.join(s.root, "config.ini")
        with open(config, "w") as f:
            f.write("[NDBD DEFAULT]\nNoOfReplicas=seven\n[NDB_MGMD]\nId=1\nHostName=127.0.0.1\n")
        s.script("halb-mgmd", run_dir=run,
                 HALB_MGMD_OPTS=f"-f {config} --ndb-nodeid 1 --run-dir {run} --log-file {s.root}/mgmd.log")
        self.assert_not_configured(s, "halb-mgmd", "config.ini:2")
        cnf = os.path.join(s.root, "my.cnf")
        with open(cnf, "w") as f:
            f.write("[mysql_cluster]\nndb-connectstring = 127.0.0.1:1\nndb-nodeid = 99\n[mysqld]\nport = 3306\n")
        s.script("halb-ndbd", run_dir=run,
                 HALB_NDBD_OPTS=f"--defaults-file {cnf} --run-dir {run} --log-file {s.root}/ndbd.log")
        self.assert_not_configured(s, "halb-ndbd", "my.cnf:3")
        with open(cnf, "w") as f:
            f.write("[mysqld]\nport = 3306\nthis line has no group\n[mysqld\n")
        s.script("halb-sqld", run_dir=run,
                 HALB_SQLD_OPTS=f"--defaults-file={cnf} --run-dir {run} --log-file {s.root}/sqld.log")
        self.assert_not_configured(s, "halb-sqld", "my.cnf:4")


if __name__ == "__main__":
    unittest.main()
