"""One halb-heartbeat node for tests: writes its ha.cf, authkeys and
haresources, a marker resource script, starts the daemon and asks it
questions through halb-hbctl. Used by the integration (loopback) and
netns suites."""
import os
import signal
import subprocess

from halb import Proc, program, wait_for

# A resource agent that records whether it holds the resource in a file;
# its status words are the ones heartbeat greps for.
MARKER = """#!/bin/sh
eval op=\\${$#}
f="%(state)s/held-$1"
case "$op" in
  start) date +%%s.%%N > "$f"; echo "INFO:  Success" ;;
  stop) rm -f "$f"; echo "INFO:  Success" ;;
  status) if [ -e "$f" ]; then echo "INFO:  Running OK"; else echo "INFO:  Resource is stopped"; fi ;;
esac
exit 0
"""


class HbNode:
    def __init__(self, root, name, ha_cf, haresources, authkeys="auth 1\n1 sha1 halb-test-secret\n", wrap=None):
        self.name = name
        self.dir = os.path.join(root, name)
        self.conf = os.path.join(self.dir, "ha.d")
        self.run = os.path.join(self.dir, "run")
        self.state = os.path.join(self.dir, "state")
        self.logfile = os.path.join(self.dir, "halb-heartbeat.log")
        self.wrap = wrap or []  # e.g. ["ip", "netns", "exec", NS]
        for d in (self.conf, self.run, self.state, os.path.join(self.conf, "resource.d")):
            os.makedirs(d, exist_ok=True)
        self.write("ha.cf", ha_cf)
        self.write("haresources", haresources)
        self.write("authkeys", authkeys, mode=0o600)
        self.write("resource.d/Marker", MARKER % {"state": self.state}, mode=0o755)
        self.proc = None

    def write(self, rel, text, mode=0o644):
        p = os.path.join(self.conf, rel)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)

    def argv(self, *extra):
        return self.wrap + [program("halb-heartbeat"), "--foreground", "--node", self.name,
                            "--config-dir", self.conf, "--run-dir", self.run, "--state-dir", self.state,
                            "--log-file", self.logfile] + list(extra)

    def start(self):
        self.proc = Proc(self.argv(), log_path=os.path.join(self.dir, "stdout.log"))
        wait_for(lambda: os.path.exists(os.path.join(self.run, "heartbeat.sock")) or not self.proc.alive(), 10,
                 what=f"{self.name} control socket")
        assert self.proc.alive(), f"{self.name} exited: {self.log_text()[-2000:]}"
        return self

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.stop()

    def stop(self):
        if self.proc:
            return self.proc.stop(signal.SIGTERM, timeout=30)

    def hbctl(self, *args):
        r = subprocess.run(self.wrap + [program("halb-hbctl"), "--run-dir", self.run] + list(args),
                           capture_output=True, text=True, timeout=10)
        return r.returncode, r.stdout

    def holds(self, key):
        return os.path.exists(os.path.join(self.state, "held-" + key))

    def log_text(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, text, timeout):
        return wait_for(lambda: text in self.log_text(), timeout, what=f"'{text}' in {self.name}'s log")
