#!/usr/bin/env python3
"""tests/vm/rig.py: run shell scripts inside Debian's kernel under qemu.

The build machine's kernel has no IPVS, so the kernel-IPVS suites boot
Debian's linux-image-amd64 under qemu TCG (KVM does not work here) with the
host's root shared read-only over 9p. The guest chroots into that share, so
every host program (the build tree, Debian's ipvsadm, python3, ip) runs
unchanged against the guest kernel. Facts behind the choices:
/work/shared/reference/vm-ipvs.md.

Booting takes seconds to tens of seconds under TCG, so one VM serves a whole
suite: the guest runs tests/vm/guest-agent.sh, which waits for job files in a
writable 9p share and writes each job's output and exit status back. The
share is mounted in the guest at the same path it has on the host, so a job
can leave files there for the host to read.

    from rig import run_in_vm, unavailable_reason
    rc, output = run_in_vm("ipvsadm -L -n", timeout=60)

The shared VM boots on first use and powers off when the test process exits.
The initramfs is tiny (busybox plus the modules that mount 9p) and cached
under the temp directory; every other module comes from the host's own
/lib/modules (the installed linux-image-amd64 package).
"""
import atexit
import ctypes
import glob
import gzip
import io
import os
import shutil
import stat
import subprocess
import tempfile
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_DIR = os.environ.get("HALB_SRC_DIR", os.path.dirname(os.path.dirname(HERE)))
BUILD_DIR = os.environ.get("HALB_BUILD_DIR", os.getcwd())
QEMU = "qemu-system-x86_64"
BUSYBOX = "/bin/busybox"

# Modules the initramfs needs to mount the host's root over 9p; their
# dependencies come from modules.dep and load first (busybox insmod resolves
# nothing itself).
INITRAMFS_TARGETS = [
    "kernel/drivers/virtio/virtio_pci.ko",
    "kernel/net/9p/9pnet_virtio.ko",
    "kernel/fs/9p/9p.ko",
]


def _load_order(version):
    """INITRAMFS_TARGETS and their dependencies, each after what it needs."""
    deps = {}
    with open(f"/lib/modules/{version}/modules.dep") as f:
        for line in f:
            mod, _, rest = line.partition(":")
            deps[mod] = rest.split()
    order = []

    def visit(m):
        if m in order:
            return
        for d in deps.get(m, []):
            visit(d)
        order.append(m)

    for t in INITRAMFS_TARGETS:
        visit(t)
    return order


# Bump when the initramfs layout changes so cached images are rebuilt.
RIG_VERSION = 3

BOOT_TIMEOUT = float(os.environ.get("HALB_VM_BOOT_TIMEOUT", "180"))


def find_kernel():
    """(version, vmlinuz path) of an installed kernel that ships IPVS as a
    module, or None. The newest such kernel wins."""
    found = []
    for vmlinuz in glob.glob("/boot/vmlinuz-*"):
        ver = vmlinuz[len("/boot/vmlinuz-"):]
        mods = f"/lib/modules/{ver}"
        if not os.path.exists(f"{mods}/kernel/net/netfilter/ipvs/ip_vs.ko"):
            continue
        if not all(os.path.exists(f"{mods}/{m}") for m in INITRAMFS_TARGETS):
            continue
        found.append((os.path.getmtime(vmlinuz), ver, vmlinuz))
    if not found:
        return None
    found.sort()
    return found[-1][1], found[-1][2]


def unavailable_reason():
    """Why VM tests cannot run here, or None when they can."""
    if not shutil.which(QEMU):
        return f"{QEMU} not installed (scripts/install-deps installs qemu-system-x86)"
    if not os.path.exists(BUSYBOX) or not _is_static(BUSYBOX):
        return "static busybox not installed (scripts/install-deps installs busybox-static)"
    if find_kernel() is None:
        return "no /boot/vmlinuz-* with IPVS modules (scripts/install-deps installs linux-image-amd64)"
    if not os.access(os.path.join(HERE, "guest-agent.sh"), os.R_OK):
        return "tests/vm/guest-agent.sh missing"
    return None


def _is_static(path):
    try:
        out = subprocess.run(["file", "-L", path], capture_output=True, text=True).stdout
    except FileNotFoundError:
        # No file(1): trust the ELF header's lack of an interpreter instead.
        with open(path, "rb") as f:
            return b"/lib64/ld-linux" not in f.read(4096)
    return "statically linked" in out or "static-pie" in out


# ---- initramfs -------------------------------------------------------------

def _cpio_entry(out, name, mode, data=b"", ino=[1]):
    """One newc cpio record."""
    ino[0] += 1
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join(f"{v:08X}" for v in (
        ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
    out.write(hdr.encode() + name_b)
    out.write(b"\0" * ((4 - (110 + len(name_b)) % 4) % 4))
    out.write(data)
    out.write(b"\0" * ((4 - len(data) % 4) % 4))


INIT_SCRIPT = r"""#!/bin/busybox sh
# halb VM rig init: mount the host's root read-only over 9p, a writable
# share for results at the host's path, then chroot and run the agent.
/bin/busybox mkdir -p /proc /sys /dev /host
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
for m in @MODULES@; do /bin/busybox insmod /modules/$m || echo "rig: insmod $m failed"; done
/bin/busybox mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 host /host || echo "rig: mount host failed"
/bin/busybox mount -t proc proc /host/proc
/bin/busybox mount -t sysfs sys /host/sys
/bin/busybox mount -t devtmpfs dev /host/dev
# /tmp and /run get fresh tmpfs mounts, but a checkout or build under them
# (CI may clone into /tmp) must stay visible: keep those folders from the
# host's read-only share, bound back at their own paths.
/bin/busybox mkdir -p /keep/tmp /keep/run
/bin/busybox mount -o bind /host/tmp /keep/tmp
/bin/busybox mount -o bind /host/run /keep/run
/bin/busybox mount -t tmpfs tmp /host/tmp
/bin/busybox mount -t tmpfs run /host/run
keep=$(/bin/busybox cat /proc/cmdline | /bin/busybox sed -n 's/.*halb_keep=\([^ ]*\).*/\1/p')
IFS=,
for d in $keep; do
  case "$d" in
    /tmp/*|/run/*) /bin/busybox mkdir -p "/host$d" && /bin/busybox mount -o bind "/keep$d" "/host$d" || echo "rig: keep $d failed" ;;
  esac
done
unset IFS
out=$(/bin/busybox cat /proc/cmdline | /bin/busybox sed -n 's/.*halb_out=\([^ ]*\).*/\1/p')
agent=$(/bin/busybox cat /proc/cmdline | /bin/busybox sed -n 's/.*halb_agent=\([^ ]*\).*/\1/p')
/bin/busybox mkdir -p /host$out
/bin/busybox mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /host$out || echo "rig: mount out failed"
exec /bin/busybox chroot /host /bin/sh $agent $out
"""


def _build_initramfs(version, path):
    mods = f"/lib/modules/{version}"
    modules = _load_order(version)
    names = [os.path.basename(m) for m in modules]
    raw = io.BytesIO()
    for d in ("bin", "modules", "proc", "sys", "dev", "host"):
        _cpio_entry(raw, d, stat.S_IFDIR | 0o755)
    with open(BUSYBOX, "rb") as f:
        _cpio_entry(raw, "bin/busybox", stat.S_IFREG | 0o755, f.read())
    _cpio_entry(raw, "bin/sh", stat.S_IFLNK | 0o777, b"busybox")
    for m, n in zip(modules, names):
        with open(f"{mods}/{m}", "rb") as f:
            _cpio_entry(raw, f"modules/{n}", stat.S_IFREG | 0o644, f.read())
    init = INIT_SCRIPT.replace("@MODULES@", " ".join(names)).encode()
    _cpio_entry(raw, "init", stat.S_IFREG | 0o755, init)
    _cpio_entry(raw, "TRAILER!!!", 0)
    tmp = f"{path}.{os.getpid()}.tmp"
    with gzip.open(tmp, "wb", compresslevel=1) as f:
        f.write(raw.getvalue())
    os.replace(tmp, path)


def _initramfs(version):
    """The cached initramfs for this kernel, built on first use. It lives
    outside the source tree (so `make dist` never ships it), keyed by what
    goes into it."""
    key = f"{version}-v{RIG_VERSION}-{int(os.path.getmtime(BUSYBOX))}"
    cache = os.path.join(tempfile.gettempdir(), f"halb-vm-cache-{os.getuid()}")
    os.makedirs(cache, mode=0o700, exist_ok=True)
    path = os.path.join(cache, f"initramfs-{key}.cpio.gz")
    if not os.path.exists(path):
        _build_initramfs(version, path)
    return path


# ---- the VM ------------------------------------------------------------------

def _die_with_parent():
    """In the qemu child: get SIGKILL when the test process dies, so a
    killed test run never leaves an emulator spinning on a shared core."""
    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, 9)
    except (OSError, AttributeError):
        pass


class VmError(Exception):
    pass


class Vm:
    """One booted guest. start() boots and waits until the agent is ready;
    run() executes one script; close() powers off (and kills qemu, by its
    own pid, if it does not stop).

    A detached VM (halb-lab up --mode vm) outlives the process that booted
    it: qemu runs in its own session, save() writes what another process
    needs to reach it, and Vm.attach() picks it up there; the job files in
    the shared directory are the whole protocol, so any process can run
    the next job."""

    def __init__(self, memory_mb=768, detached=False):
        self.memory_mb = memory_mb
        self.detached = detached
        self.proc = None
        self.pid = None  # qemu's, also when attached rather than started here
        self.out = None
        self.console = None
        self.seq = 0
        self.kernel_release = ""

    def start(self, save_to=None):
        """Boot and wait for the guest's agent. A detached VM given
        `save_to` is described there from the moment qemu runs, so a
        command killed during the boot still leaves a way to power it off."""
        reason = unavailable_reason()
        if reason:
            raise VmError(reason)
        version, vmlinuz = find_kernel()
        initrd = _initramfs(version)
        self.out = tempfile.mkdtemp(prefix="halb-vm-")
        self.console = os.path.join(self.out, "console.log")
        agent = os.path.join(HERE, "guest-agent.sh")
        keep = sorted({os.path.realpath(p) for p in (HERE, os.environ.get("HALB_SRC_DIR", ""),
                                                     os.environ.get("HALB_BUILD_DIR", "")) if p})
        keep = [p for p in keep if p.startswith(("/tmp/", "/run/"))]
        argv = [
            QEMU, "-accel", "tcg", "-m", str(self.memory_mb), "-smp", "1",
            "-nographic", "-no-reboot", "-nic", "none",
            "-kernel", vmlinuz, "-initrd", initrd,
            "-append", f"console=ttyS0 quiet panic=-1 no_timer_check halb_out={self.out} halb_agent={agent}"
            + (f" halb_keep={','.join(keep)}" if keep else ""),
            "-virtfs", "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap",
            "-virtfs", f"local,path={self.out},mount_tag=out,security_model=none,multidevs=remap",
        ]
        t0 = time.monotonic()
        with open(self.console, "wb") as log:
            if self.detached:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                             start_new_session=True)
            else:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                             preexec_fn=_die_with_parent)
        self.pid = self.proc.pid
        if save_to:
            self.save(save_to)
        ready = os.path.join(self.out, "ready")
        try:
            while not os.path.exists(ready):
                if self.proc.poll() is not None:
                    raise VmError(f"qemu exited ({self.proc.returncode}) before the guest was ready:\n"
                                  f"{self.console_tail()}")
                if time.monotonic() - t0 > BOOT_TIMEOUT:
                    raise VmError(f"guest not ready after {BOOT_TIMEOUT:.0f}s:\n{self.console_tail()}")
                time.sleep(0.1)
        except BaseException:  # a failed or interrupted boot leaves no emulator behind
            self.close()
            raise
        self.boot_seconds = time.monotonic() - t0
        with open(ready) as f:
            self.kernel_release = f.read().strip()
        if save_to:
            self.save(save_to)
        return self

    def save(self, path):
        """What attach() needs, as JSON in `path`."""
        import json
        with open(path + ".tmp", "w") as f:
            json.dump({"pid": self.pid, "out": self.out, "console": self.console,
                       "kernel_release": self.kernel_release, "memory_mb": self.memory_mb}, f)
        os.rename(path + ".tmp", path)

    @classmethod
    def attach(cls, path):
        """The detached VM save() described, if its qemu still runs."""
        import json
        with open(path) as f:
            st = json.load(f)
        vm = cls(st.get("memory_mb", 768), detached=True)
        vm.pid, vm.out, vm.console = st["pid"], st["out"], st["console"]
        vm.kernel_release = st.get("kernel_release", "")
        # The next job number: one past the highest the guest has seen.
        names = os.listdir(vm.out) if os.path.isdir(vm.out) else []
        done = [int(n[4:-3]) for n in names if n.startswith("job-") and n.endswith(".sh")]
        vm.seq = max(done, default=0)
        return vm

    def _alive(self):
        if self.proc is not None:
            return self.proc.poll() is None
        if not self.pid:
            return False
        try:  # only our qemu: a recycled pid is some other program
            with open(f"/proc/{self.pid}/cmdline", "rb") as f:
                return QEMU.encode() in f.read() and self.out is not None
        except OSError:
            return False

    def _exit_text(self):
        return f"qemu exited ({self.proc.returncode})" if self.proc is not None else f"qemu (pid {self.pid}) is gone"

    def console_tail(self, n=40):
        try:
            with open(self.console, "rb") as f:
                return "\n".join(f.read().decode(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no console log)"

    def run(self, script, timeout=120, stream=None):
        """Runs `script` with /bin/sh inside the guest (cwd: the source
        tree; HALB_BUILD_DIR and HALB_SRC_DIR set as on the host). Returns
        (exit status, stdout and stderr merged). Raises VmError when the
        guest does not answer within timeout (+ a margin for the agent)."""
        if not self._alive():
            raise VmError(f"VM not running:\n{self.console_tail() if self.console else ''}")
        self.seq += 1
        base = os.path.join(self.out, f"job-{self.seq}")
        body = (f"export HALB_BUILD_DIR={_sh_quote(BUILD_DIR)} HALB_SRC_DIR={_sh_quote(SRC_DIR)}\n"
                f"cd {_sh_quote(SRC_DIR)}\n{script}\n")
        with open(base + ".sh.tmp", "w") as f:
            f.write(body)
        with open(base + ".timeout", "w") as f:
            f.write(f"{int(timeout)}\n")
        os.rename(base + ".sh.tmp", base + ".sh")
        deadline = time.monotonic() + timeout + 30
        shown = 0
        while not os.path.exists(base + ".rc"):
            if stream is not None:  # the job's output as it grows
                shown = self._stream(base + ".out", shown, stream)
            if not self._alive():
                raise VmError(f"{self._exit_text()} during a job:\n{self.console_tail()}")
            if time.monotonic() > deadline:
                raise VmError(f"job {self.seq} gave no result within {timeout}s")
            time.sleep(0.05)
        with open(base + ".rc") as f:
            rc = int(f.read().strip() or "255")
        with open(base + ".out", "rb") as f:
            output = f.read().decode(errors="replace")
        if stream is not None:
            self._stream(base + ".out", shown, stream)
        return rc, output

    @staticmethod
    def _stream(path, shown, stream):
        try:
            with open(path, "rb") as f:
                f.seek(shown)
                more = f.read()
        except OSError:
            return shown
        # Whole lines only; the rest comes with the next look.
        cut = more.rfind(b"\n") + 1
        if cut:
            stream(more[:cut].decode(errors="replace"))
        return shown + cut

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                open(os.path.join(self.out, "poweroff"), "w").close()
                self.proc.wait(20)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        elif self.proc is None and self._alive():
            # Attached: not our child, so watch its pid rather than wait().
            try:
                open(os.path.join(self.out, "poweroff"), "w").close()
            except OSError:
                pass
            deadline = time.monotonic() + 20
            while self._alive() and time.monotonic() < deadline:
                time.sleep(0.1)
            if self._alive():
                os.kill(self.pid, 9)
        self.proc = None
        self.pid = None
        if self.out and not os.environ.get("HALB_VM_KEEP"):
            shutil.rmtree(self.out, ignore_errors=True)
            self.out = None


def _sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


_shared = None
_boot_error = None


def shared_vm():
    """The suite's one VM, booted on first use, powered off at exit. A boot
    that failed is not retried by every later test: they all get its error."""
    global _shared, _boot_error
    if _boot_error is not None:
        raise VmError(f"the suite's VM did not boot: {_boot_error}")
    if _shared is None:
        vm = Vm()
        atexit.register(vm.close)
        try:
            _shared = vm.start()
        except VmError as e:
            _boot_error = e
            raise
    return _shared


def run_in_vm(script, timeout=120):
    """(exit status, output) of `script` run by /bin/sh in the shared VM."""
    return shared_vm().run(script, timeout)


def main(argv):
    """python3 tests/vm/rig.py 'SCRIPT' [...]: boots a VM, runs each script in
    turn, prints its output, exits with the last script's status. Handy for
    comparing any built program with ipvsadm by hand, e.g.
        tests/vm/rig.py 'ipvsadm -A -t 10.0.0.1:80; $HALB_BUILD_DIR/halb-adm -L -n'
    (run from the build directory, or set HALB_BUILD_DIR)."""
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(main.__doc__)
        return 2
    reason = unavailable_reason()
    if reason:
        print(f"rig: {reason}", file=sys.stderr)
        return 77
    vm = Vm()
    try:
        vm.start()
        print(f"rig: {vm.kernel_release} ready after {vm.boot_seconds:.1f}s", file=sys.stderr)
        rc = 0
        for script in argv[1:]:
            rc, out = vm.run(script, timeout=float(os.environ.get("HALB_VM_JOB_TIMEOUT", "300")))
            sys.stdout.write(out)
        return rc
    finally:
        vm.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
