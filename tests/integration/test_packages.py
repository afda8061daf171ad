"""debian/: `dpkg-buildpackage -us -uc -b` builds one package per role, and
what they hold runs from a scratch root.

A clean package build compiles the whole tree again (see README, "Release
checks"); here the packaging is run on a copy of the tree this suite
already built (`-nc`, no unit tests, no debug packages), so everything
after the compiler is the real thing: configure for /usr, make install into
debian/tmp, the split by role, dh_missing, shlibs dependencies, maintainer
scripts. The packages are unpacked with `dpkg -x` into a scratch root:
no maintainer script runs, nothing on this machine changes."""
import glob
import os
import re
import shutil
import signal
import subprocess
import unittest

from halb import BUILD_DIR, SRC_DIR, TempDir, program, wait_for

ROLES = {
    "halb-director": ["usr/sbin/halb-heartbeat", "usr/sbin/halb-hbctl", "usr/sbin/halb-director",
                      "usr/sbin/halb-lvsd", "usr/sbin/halb-adm", "usr/sbin/halb-syncswap"],
    "halb-realserver": ["usr/sbin/halb-noarp"],
    "halb-cluster": ["usr/sbin/halb-mgmd", "usr/bin/halb-mgm", "usr/sbin/halb-ndbd", "usr/sbin/halb-sqld",
                     "usr/bin/halb-restore"],
    "halb-lab": ["usr/sbin/halb-lab"],
    "halb-common": ["usr/share/man/man7/halb.7.gz"],
}


def deb_fields(deb):
    r = subprocess.run(["dpkg-deb", "-f", deb], capture_output=True, text=True, check=True)
    return dict(re.findall(r"(?m)^([A-Za-z-]+): (.*)$", r.stdout))


def deb_files(deb):
    r = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True)
    return {line.split()[-1].lstrip("./") for line in r.stdout.splitlines() if not line.endswith("/")}


class DebianPackages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("dpkg-buildpackage", "dh", "dpkg-deb"):
            if not shutil.which(tool):
                raise unittest.SkipTest(f"{tool} missing (Debian: dpkg-dev, debhelper; scripts/install-deps)")
        if os.path.realpath(BUILD_DIR) != os.path.realpath(SRC_DIR):
            raise unittest.SkipTest("packages are built from an in-source build (scripts/build)")
        program("halb-heartbeat")  # raises when the tree is not built
        cls.tmp = TempDir("halb-packages-")
        try:
            cls.build()
        except BaseException:
            cls.tmp.cleanup()
            raise

    @classmethod
    def build(cls):
        tree = os.path.join(cls.tmp.path, "halb")
        os.makedirs(tree)
        # The tree with its objects, without git and without earlier package builds.
        pack = subprocess.Popen(["tar", "-C", SRC_DIR, "--exclude=./.git", "--exclude=./debian/tmp",
                                 "--exclude=./debian/.debhelper", "--exclude=*.deb",
                                 "-cf", "-", "."], stdout=subprocess.PIPE)
        unpack = subprocess.run(["tar", "-C", tree, "-xf", "-"], stdin=pack.stdout, capture_output=True)
        pack.stdout.close()
        if pack.wait() != 0 or unpack.returncode != 0:
            raise AssertionError("copying the tree failed: " + unpack.stderr.decode()[-2000:])
        for staged in glob.glob(os.path.join(tree, "debian", "halb-*", "")):
            shutil.rmtree(staged)
        env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck noautodbgsym")
        log = os.path.join(cls.tmp.path, "build.log")
        with open(log, "w") as f:
            r = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b", "-nc"], cwd=tree, env=env, stdout=f,
                               stderr=subprocess.STDOUT, timeout=1200)
        with open(log, errors="replace") as f:
            cls.log = f.read()
        if r.returncode != 0:
            raise AssertionError("dpkg-buildpackage failed:\n" + cls.log[-5000:])
        cls.debs = {os.path.basename(p).split("_")[0]: p for p in glob.glob(os.path.join(cls.tmp.path, "*.deb"))}
        cls.root = os.path.join(cls.tmp.path, "root")
        for deb in cls.debs.values():
            subprocess.run(["dpkg", "-x", deb, cls.root], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_one_package_per_role_with_its_programs_scripts_units_and_pages(self):
        self.assertEqual(sorted(self.debs), sorted(ROLES))
        for pkg, wanted in ROLES.items():
            files = deb_files(self.debs[pkg])
            for path in wanted:
                self.assertIn(path, files, pkg)
                name = os.path.basename(path)
                # Commands in bin have their page in section 1 (as NDB's ndb_mgm and
                # ndb_restore), the administrator's in sbin in section 8.
                if path.startswith("usr/bin/"):
                    self.assertIn(f"usr/share/man/man1/{name}.1.gz", files, f"{pkg}: man page of {name}")
                elif path.startswith("usr/sbin/"):
                    self.assertIn(f"usr/share/man/man8/{name}.8.gz", files, f"{pkg}: man page of {name}")
                if os.path.exists(os.path.join(SRC_DIR, "etc", "init.d", name)):
                    self.assertIn(f"etc/init.d/{name}", files, pkg)
                    self.assertIn(f"lib/systemd/system/{name}.service", files, pkg)
        common = deb_files(self.debs["halb-common"])
        for sample in ("ha.d/ha.cf", "ha.d/authkeys", "ha.d/haresources", "ha.d/ldirectord.cf",
                       "mysql-cluster/config.ini", "mysql-cluster/my.cnf"):
            self.assertIn(f"usr/share/doc/halb-common/examples/etc/{sample}", common)

    def test_dependencies_come_from_shlibs_and_roles_share_halb_common(self):
        for pkg, deb in self.debs.items():
            fields = deb_fields(deb)
            self.assertNotIn("${", fields.get("Depends", ""), pkg)
            if fields["Architecture"] != "all":
                self.assertRegex(fields["Depends"], r"\blibc6 \(>= ", pkg)
                self.assertRegex(fields["Depends"], r"\blibstdc\+\+6 ", pkg)
                self.assertIn("halb-common (= ", fields["Depends"], pkg)
        self.assertIn("libev4", deb_fields(self.debs["halb-director"])["Depends"])
        self.assertIn("libnl-genl-3", deb_fields(self.debs["halb-director"])["Depends"])
        self.assertIn("libsqlite3", deb_fields(self.debs["halb-cluster"])["Depends"])
        # halb-sqld, halb-ndbd and halb-lvsd run on gperftools' malloc (debian/rules asks for it)
        for pkg in ("halb-cluster", "halb-director"):
            self.assertIn("libtcmalloc-minimal4", deb_fields(self.debs[pkg])["Depends"], pkg)
        self.assertIn("python3", deb_fields(self.debs["halb-lab"])["Depends"])

    def test_maintainer_scripts_neither_enable_nor_start_a_daemon(self):
        for pkg in ("halb-director", "halb-realserver", "halb-cluster"):
            ctl = os.path.join(self.tmp.path, "control-" + pkg)
            subprocess.run(["dpkg-deb", "-e", self.debs[pkg], ctl], check=True)
            with open(os.path.join(ctl, "postinst")) as f:
                postinst = f.read()
            self.assertNotIn("invoke-rc.d", postinst, pkg)
            self.assertNotIn("deb-systemd-invoke", postinst, pkg)
            for line in re.findall(r"(?m)^\s*update-rc.d .*$", postinst):
                self.assertIn("defaults-disabled", line, pkg)
            with open(os.path.join(ctl, "conffiles")) as f:
                conffiles = f.read().split()
            scripts = [f for f in deb_files(self.debs[pkg]) if f.startswith("etc/init.d/")]
            self.assertTrue(scripts, pkg)
            for script in scripts:
                self.assertIn("/" + script, conffiles)

    def test_installed_programs_answer_help_and_units_name_installed_programs(self):
        programs = sorted(glob.glob(os.path.join(self.root, "usr", "*bin", "halb-*")))
        self.assertGreaterEqual(len(programs), 13)
        env = dict(os.environ, PYTHONPATH=os.path.join(self.root, "usr", "share", "halb", "lab"))
        for p in programs:
            with self.subTest(program=os.path.basename(p)):
                r = subprocess.run([p, "--help"], capture_output=True, text=True, timeout=30, env=env,
                                   stdin=subprocess.DEVNULL)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertRegex((r.stdout + r.stderr).lower(), r"usage")
        units = glob.glob(os.path.join(self.root, "lib", "systemd", "system", "*.service"))
        self.assertEqual(len(units), len(os.listdir(os.path.join(SRC_DIR, "etc", "systemd"))))
        for unit in units:
            with open(unit) as f:
                for cmd in re.findall(r"(?m)^Exec[A-Za-z]+=-?(/usr/s?bin/\S+)", f.read()):
                    self.assertTrue(os.access(self.root + cmd, os.X_OK), f"{unit}: {cmd} not installed")

    def test_an_installed_daemon_starts_reports_and_stops(self):
        lvsd = os.path.join(self.root, "usr", "sbin", "halb-lvsd")
        run = os.path.join(self.tmp.path, "run")
        argv = [lvsd, "--run-dir", run, "--threads", "1", "--logfacility", "none",
                "--log-file", os.path.join(self.tmp.path, "lvsd.log")]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        try:
            wait_for(lambda: os.path.exists(os.path.join(run, "halb-lvsd.sock")), 10, what="control socket")
            r = subprocess.run(argv + ["-s"], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout)
        finally:
            r = subprocess.run(argv + ["-k"], capture_output=True, text=True, timeout=60)
            if r.returncode != 0:  # ours: end it by the pid it wrote
                for pidfile in glob.glob(os.path.join(run, "*.pid")):
                    try:
                        os.kill(int(open(pidfile).read().split()[0]), signal.SIGKILL)
                    except (OSError, ValueError, IndexError):
                        pass
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(subprocess.run(argv + ["-s"], capture_output=True).returncode, 3)
        # The sample config.ini passes the installed management server's check.
        sample = os.path.join(self.root, "usr/share/doc/halb-common/examples/etc/mysql-cluster/config.ini")
        r = subprocess.run([os.path.join(self.root, "usr", "sbin", "halb-mgmd"), "--config-test", "-f", sample,
                            "--ndb-nodeid", "1"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
