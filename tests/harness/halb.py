"""Helpers shared by the Python suites: where the built programs are,
processes we start (and only those) ended by pid, waiting on conditions."""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BUILD_DIR = os.environ.get("HALB_BUILD_DIR", os.getcwd())
SRC_DIR = os.environ.get("HALB_SRC_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def program(name):
    """Absolute path of a built halb program; raises if it was not built."""
    for d in (BUILD_DIR, os.path.join(BUILD_DIR, "tests", "tools")):
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    raise FileNotFoundError(f"{name} not built under {BUILD_DIR}")


def wait_for(predicate, timeout, interval=0.02, what="condition"):
    """Poll until predicate() is truthy; returns its value, or raises on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def free_udp_port(host="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


# unittest runs no tearDown after a setUp that failed, so what that setUp
# had made would outlive the run: at exit every Proc still running is
# stopped by its own pid and every TempDir removed (kept with
# HALB_KEEP_LOGS, as the suites' own tearDowns do).
_procs = []
_temp_dirs = []


def _clean_up_at_exit():
    for p in reversed(_procs):
        try:
            p.stop(timeout=5)
        except OSError:
            pass
    if os.environ.get("HALB_KEEP_LOGS") is None:
        for d in _temp_dirs:
            d.cleanup()


atexit.register(_clean_up_at_exit)


class TempDir:
    """A temporary folder removed at cleanup (also after a failure)."""

    def __init__(self, prefix="halb-test-"):
        self.path = tempfile.mkdtemp(prefix=prefix)
        _temp_dirs.append(self)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


class Proc:
    """A process we started; stop() ends it by its own pid."""

    def __init__(self, argv, log_path=None, **kw):
        self.argv = argv
        self.log = open(log_path, "ab") if log_path else subprocess.DEVNULL
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, **kw)
        self.pid = self.p.pid
        _procs.append(self)

    def alive(self):
        return self.p.poll() is None

    def send_signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.alive():
            os.kill(self.pid, sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait(5)
        if self.log is not subprocess.DEVNULL:
            self.log.close()
            self.log = subprocess.DEVNULL
        return self.p.returncode


def run_fuzzer(test, build_script, seconds, seed=None, options=()):
    """Build a libFuzzer target with tests/fuzz/<build_script> (clang, address
    sanitizer) into a temporary directory, let seed(binary, corpus) fill its
    corpus directory, and fuzz for `seconds`: any crash, leak, timeout or
    sanitizer report fails `test` with the end of libFuzzer's output."""
    tmp = tempfile.mkdtemp(prefix=f"halb-{build_script}-")
    try:
        binary = os.path.join(tmp, "target")
        r = subprocess.run([os.path.join(SRC_DIR, "tests", "fuzz", build_script), binary], capture_output=True,
                           text=True, timeout=600)
        test.assertEqual(r.returncode, 0, r.stderr[-3000:])
        corpus = os.path.join(tmp, "corpus")
        os.mkdir(corpus)
        if seed:
            seed(binary, corpus)
        r = subprocess.run([binary, f"-max_total_time={seconds}", "-rss_limit_mb=1024", *options,
                            "-print_final_stats=1", f"-artifact_prefix={tmp}/", corpus],
                           capture_output=True, text=True, timeout=seconds + 270)
        test.assertEqual(r.returncode, 0, r.stderr[-4000:])
        test.assertIn("Done", r.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
