"""lab/vmlab.py: `halb-lab up --mode vm` -- the netns lab inside the VM rig,
kept running between commands.

The VM (tests/vm/rig.py) boots detached from the command that starts it:
qemu in its own session, its pid and shared directory in STATE_DIR/vm.json.
Every later halb-lab command (status, drill, report, down) finds that file
and runs the same command inside the guest, where the lab lives in netns
mode with the kernel's IPVS in direct routing. Files the guest writes for
the host (the report's pictures) go through the VM's shared directory."""
import os
import shutil
import signal
import sys

import clusterlab

GUEST_STATE_DIR = "/tmp/halb-lab-vm"
STATE_FILE = "vm.json"


def _rig(src_dir, build_dir):
    rig_dir = os.path.join(src_dir, "tests", "vm")
    if not os.path.exists(os.path.join(rig_dir, "rig.py")):
        raise clusterlab.LabError("vm mode needs the source tree's tests/vm/rig.py (run lab/halb-lab from the tree)")
    os.environ["HALB_BUILD_DIR"] = os.path.abspath(build_dir)
    os.environ["HALB_SRC_DIR"] = src_dir
    if rig_dir not in sys.path:
        sys.path.insert(0, rig_dir)
    import rig
    return rig


class VmLab:
    def __init__(self, state_dir, src_dir, build_dir, log=print):
        self.state_dir = state_dir
        self.src_dir = src_dir
        self.build_dir = os.path.abspath(build_dir)
        self.log = log
        self.state_file = os.path.join(state_dir, STATE_FILE)

    @classmethod
    def present(cls, state_dir):
        return os.path.exists(os.path.join(state_dir, STATE_FILE))

    def _command(self, args):
        return (f"/usr/bin/python3 lab/halb-lab --state-dir {GUEST_STATE_DIR} --build-dir \"$HALB_BUILD_DIR\" "
                + " ".join(_quote(a) for a in args))

    def up(self, topology_file=None, memory_mb=1024):
        rig = _rig(self.src_dir, self.build_dir)
        why = rig.unavailable_reason()
        if why:
            raise clusterlab.LabError(f"vm mode: {why}")
        os.makedirs(self.state_dir, exist_ok=True)
        vm = rig.Vm(memory_mb=memory_mb, detached=True)
        self.log("booting the VM (Debian's kernel with IPVS, under qemu); it stays up until halb-lab down")
        # SIGTERM during the boot unwinds like an error, so the VM goes too;
        # after SIGKILL the state file lets `halb-lab down` power it off.
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            vm.start(save_to=self.state_file)
        except rig.VmError as e:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            raise clusterlab.LabError(f"vm mode: {e}")
        except BaseException:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            raise
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.log(f"VM up after {vm.boot_seconds:.0f} s, kernel {vm.kernel_release}, qemu pid {vm.pid}")
        args = ["up", "--mode", "netns", "--backend", "kernel"]
        if topology_file:  # the guest sees the host's root, but not its /tmp
            inside = os.path.join(vm.out, "topology.json")
            shutil.copy(topology_file, inside)
            args += ["--topology", inside]
        rc, _ = self._run(vm, args, timeout=600)
        if rc != 0:
            self.log("the lab did not come up inside the VM; powering it off")
            self._power_off(vm)
        return rc

    def forward(self, args, timeout=3600):
        """Run `halb-lab ARGS` inside the VM, its output shown as it comes;
        (exit status, output)."""
        rig = _rig(self.src_dir, self.build_dir)
        try:
            vm = rig.Vm.attach(self.state_file)
        except (OSError, ValueError, KeyError) as e:
            raise clusterlab.LabError(f"vm mode: cannot read {self.state_file}: {e}")
        if not vm._alive():
            raise clusterlab.LabError(f"vm mode: the VM (qemu pid {vm.pid}) is no longer running; "
                                      "`halb-lab down` clears its state")
        return self._run(vm, args, timeout)

    def report(self, args, svg):
        """`report` inside; the pictures come out through the shared directory."""
        rig = _rig(self.src_dir, self.build_dir)
        vm = rig.Vm.attach(self.state_file)
        inside = os.path.join(vm.out, "report.svg")
        rc, _ = self.forward(args + ["--svg", inside])
        base = svg[:-4] if svg.endswith(".svg") else svg
        copied = []
        for ext in (".svg", ".png"):
            if os.path.exists(inside[:-4] + ext):
                shutil.copy(inside[:-4] + ext, base + ext)
                copied.append(base + ext)
        if copied:
            print("timeline copied out of the VM: " + ", ".join(copied))
        return rc

    def down(self):
        rig = _rig(self.src_dir, self.build_dir)
        rc = 0
        try:
            vm = rig.Vm.attach(self.state_file)
        except (OSError, ValueError, KeyError):
            vm = None
        if vm is not None and vm._alive():
            try:
                rc, _ = self._run(vm, ["down"], timeout=300)
            except rig.VmError as e:
                self.log(f"the lab inside the VM did not answer ({e}); powering off anyway")
            self._power_off(vm)
        shutil.rmtree(self.state_dir, ignore_errors=True)
        self.log("VM powered off, state removed")
        return rc

    def _run(self, vm, args, timeout):
        rig = sys.modules["rig"]
        try:
            return vm.run(self._command(args), timeout=timeout,
                          stream=lambda text: print(text, end="", flush=True))
        except rig.VmError as e:
            raise clusterlab.LabError(f"vm mode: {e}")

    def _power_off(self, vm):
        keep = os.environ.get("HALB_VM_KEEP")
        vm.close()
        if not keep:
            shutil.rmtree(self.state_dir, ignore_errors=True)


def _quote(s):
    return "'" + str(s).replace("'", "'\\''") + "'"
