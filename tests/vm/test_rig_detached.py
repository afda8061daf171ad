"""The rig's detached VM, which `halb-lab up --mode vm` keeps between
commands: booted by a process that exits, reached by another through
Vm.attach(), its job output streamed while the job runs, and powered off
by a third -- with no qemu left behind."""
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import rig  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def qemu_running(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return rig.QEMU.encode() in f.read()
    except OSError:
        return False


class DetachedVm(unittest.TestCase):
    def setUp(self):
        reason = rig.unavailable_reason()
        if reason:
            self.skipTest(reason)
        self.tmp = tempfile.mkdtemp(prefix="halb-rig-detached-")
        self.state = os.path.join(self.tmp, "vm.json")
        self.pid = None

    def tearDown(self):
        if self.pid and qemu_running(self.pid):  # the test failed half-way: still no qemu left
            os.kill(self.pid, 9)
        subprocess.run(["rm", "-rf", self.tmp])

    def test_boot_in_one_process_use_and_power_off_from_others(self):
        boot = subprocess.run(
            [sys.executable, "-c",
             f"import sys; sys.path.insert(0, {HERE!r}); import rig; "
             f"vm = rig.Vm(detached=True).start(); vm.save({self.state!r}); print(vm.pid)"],
            capture_output=True, text=True, timeout=300)
        self.assertEqual(boot.returncode, 0, boot.stderr)
        self.pid = int(boot.stdout.split()[-1])
        self.assertTrue(qemu_running(self.pid), "the VM died with the process that booted it")

        vm = rig.Vm.attach(self.state)
        seen = []
        rc, out = vm.run("echo one; sleep 1; echo two; exit 3", timeout=60, stream=seen.append)
        self.assertEqual((rc, out), (3, "one\ntwo\n"))
        self.assertEqual("".join(seen), "one\ntwo\n")
        self.assertGreaterEqual(len(seen), 2, "output came only at the end")

        again = rig.Vm.attach(self.state)  # a later command: the next job number
        self.assertEqual(again.run("uname -r", timeout=60), (0, vm.kernel_release + "\n"))
        out_dir = again.out
        again.close()
        deadline = time.monotonic() + 10
        while qemu_running(self.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(qemu_running(self.pid), "qemu still runs after close()")
        self.assertFalse(os.path.exists(out_dir), "the shared directory was left")
        with self.assertRaises(rig.VmError):
            rig.Vm.attach(self.state).run("true", timeout=10)


if __name__ == "__main__":
    unittest.main()
