"""The shared harness's safety net: a suite whose setUp fails before its
tearDown can run (unittest then skips tearDown) still leaves no process
and no temporary folder behind once its Python process exits."""
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

HARNESS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness")

FAILING_SUITE = textwrap.dedent('''
    import unittest
    from halb import Proc, TempDir

    class SetUpFails(unittest.TestCase):
        def setUp(self):
            self.tmp = TempDir(prefix="halb-harness-check-")
            self.proc = Proc(["sleep", "300"])
            with open(STATE, "w") as f:
                f.write(f"{self.tmp.path} {self.proc.pid}")
            raise RuntimeError("setUp fails before tearDown could clean up")

        def test_never_runs(self):
            pass

        def tearDown(self):
            raise AssertionError("unittest runs no tearDown after a failed setUp")
''')


def pid_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes (its parent exited).
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


class CleanupAfterAFailedSetUp(unittest.TestCase):
    def test_processes_stopped_and_folders_removed_at_exit(self):
        with tempfile.TemporaryDirectory(prefix="halb-harness-test-") as work:
            state = os.path.join(work, "state")
            with open(os.path.join(work, "test_fails.py"), "w") as f:
                f.write(f"STATE = {state!r}\n" + FAILING_SUITE)
            env = dict(os.environ, PYTHONPATH=HARNESS)
            env.pop("HALB_KEEP_LOGS", None)
            r = subprocess.run([sys.executable, "-m", "unittest", "test_fails"], cwd=work, env=env,
                               capture_output=True, text=True, timeout=60)
            self.assertIn("setUp fails", r.stderr)
            self.assertNotIn("runs no tearDown", r.stderr)
            with open(state) as f:
                path, pid = f.read().split()
            self.addCleanup(self.remove_leftovers, path, int(pid))
            self.assertFalse(os.path.exists(path), "the TempDir outlived the run")
            self.assertFalse(pid_running(int(pid)), "the Proc outlived the run")

    @staticmethod
    def remove_leftovers(path, pid):
        """Only when the check failed: what the inner suite left, ended by its pid."""
        if pid_running(pid):
            os.kill(pid, 9)
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
