"""The release tarball holds what a build needs: `make distdir` (what
`make dist` packs) compared with `git ls-files`, and an out-of-tree
configure of that tree, read-only as `make distcheck` makes it, that finds
every source of every program and test program (`make -n`).

The full `make distcheck` rebuilds everything (several minutes on two
cores); it is the release check (README), this is the per-commit one."""
import os
import re
import subprocess
import unittest

from halb import BUILD_DIR, SRC_DIR, TempDir

# Tracked files a tarball has no use for.
NOT_SHIPPED = {".gitignore"}
# Build products that must never be packed, whatever folder ships whole.
BUILD_LEFTOVERS = ("__pycache__", ".pyc", ".o", ".a", ".deb", ".dirstamp")


def tracked_files():
    r = subprocess.run(["git", "-C", SRC_DIR, "ls-files", "-z"], capture_output=True, timeout=60)
    if r.returncode != 0:
        return None
    return {p for p in r.stdout.decode().split("\0") if p}


def files_under(root):
    out = set()
    for d, _, files in os.walk(root):
        for f in files:
            out.add(os.path.relpath(os.path.join(d, f), root))
    return out


class DistTarball(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(os.path.join(BUILD_DIR, "Makefile")):
            raise unittest.SkipTest(f"no configured build in {BUILD_DIR}")
        cls.tmp = TempDir("halb-dist-")
        cls.distdir = os.path.join(cls.tmp.path, "halb-dist")
        r = subprocess.run(["make", "-s", "distdir", f"distdir={cls.distdir}", f"top_distdir={cls.distdir}"],
                           cwd=BUILD_DIR, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            cls.tmp.cleanup()
            raise AssertionError("make distdir failed:\n" + r.stdout[-3000:] + r.stderr[-3000:])
        cls.shipped = files_under(cls.distdir)

    @classmethod
    def tearDownClass(cls):
        # distcheck-style trees are read-only; make them removable.
        for d, dirs, _ in os.walk(cls.tmp.path):
            for x in dirs:
                os.chmod(os.path.join(d, x), 0o755)
        cls.tmp.cleanup()

    def test_every_tracked_file_is_shipped_and_no_build_leftover(self):
        tracked = tracked_files()
        if tracked is None:
            self.skipTest(f"{SRC_DIR} is not a git checkout")
        missing = sorted(tracked - self.shipped - NOT_SHIPPED)
        self.assertEqual(missing, [], "tracked files missing from the tarball: add them to an EXTRA_DIST "
                                      "or a _SOURCES line of their folder's .am")
        leftovers = sorted(p for p in self.shipped if any(x in p.split(os.sep) or p.endswith(x)
                                                          for x in BUILD_LEFTOVERS))
        self.assertEqual(leftovers, [])
        for generated in ("configure", "Makefile.in", "aclocal.m4", "build-aux/install-sh"):
            self.assertIn(generated, self.shipped)

    def test_every_program_has_a_man_page_and_every_page_is_installed(self):
        rule = ("halb-print-programs:\n\t@echo $(bin_PROGRAMS) $(bin_SCRIPTS)\n"
                "\t@echo $(sbin_PROGRAMS) $(sbin_SCRIPTS)\n")
        r = subprocess.run(["make", "-s", "-f", "Makefile", "-f", "-", "halb-print-programs"], cwd=BUILD_DIR,
                           input=rule, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        bin_line, sbin_line = (r.stdout.splitlines() + ["", ""])[:2]
        programs = bin_line.split() + sbin_line.split()
        self.assertIn("halb-heartbeat", sbin_line.split())
        self.assertIn("halb-mgm", bin_line.split())
        with open(os.path.join(SRC_DIR, "man", "man.am")) as f:
            listed = set(re.findall(r"\bman/([\w.-]+\.[1-8])\b", f.read()))
        # The program's folder and its page's section agree: user commands
        # (bin) in section 1, as NDB's ndb_mgm and ndb_restore; sbin in 8.
        for name in bin_line.split():
            self.assertIn(f"{name}.1", listed, f"{name} is in bin: its page goes to section 1")
        for name in sbin_line.split():
            self.assertIn(f"{name}.8", listed, f"{name} is in sbin: its page goes to section 8")
        pages = {f for f in os.listdir(os.path.join(SRC_DIR, "man")) if re.fullmatch(r"[\w.-]+\.[1-8]", f)}
        self.assertEqual(sorted(pages - listed), [], "pages in man/ that man/man.am does not install")
        for page in ("halb.7", "ha.cf.5", "authkeys.5", "haresources.5", "ldirectord.cf.5", "config.ini.5",
                     "my.cnf.5"):
            self.assertIn(page, listed)

    def test_read_only_tree_configures_out_of_tree_and_has_every_source(self):
        for d, dirs, files in os.walk(self.distdir):
            for f in files:
                p = os.path.join(d, f)
                os.chmod(p, os.stat(p).st_mode & ~0o222)
            os.chmod(d, 0o555)
        build = os.path.join(self.tmp.path, "build")
        os.makedirs(build)
        r = subprocess.run([os.path.join(self.distdir, "configure"), "-q"], cwd=build, capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
        # A source a _SOURCES line names but the tarball lacks: "No rule to make target".
        r = subprocess.run(["make", "-n", "all", "tests-build"], cwd=build, capture_output=True, text=True,
                           timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertIn("halb-heartbeat", r.stdout)
        # The data half of `make install` from that tree: man pages, init
        # scripts, units with the prefix's sbin, samples, the lab's modules.
        dest = os.path.join(self.tmp.path, "dest")
        r = subprocess.run(["make", "install-data", f"DESTDIR={dest}"], cwd=build, capture_output=True, text=True,
                           timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
        prefix = dest + "/usr/local"
        installed = files_under(dest)
        with open(os.path.join(SRC_DIR, "man", "man.am")) as f:
            pages = re.findall(r"\bman/([\w.-]+\.[1-8])\b", f.read())
        self.assertIn("halb.7", pages)
        for page in pages:
            self.assertIn(f"usr/local/share/man/man{page[-1]}/{page}", installed)
        scripts = sorted(os.listdir(os.path.join(SRC_DIR, "etc", "init.d")))
        for name in scripts:
            self.assertTrue(os.access(f"{prefix}/etc/init.d/{name}", os.X_OK), name)
            with open(f"{prefix}/lib/systemd/system/{name}.service") as f:
                self.assertIn(f"ExecStart=/usr/local/sbin/{name} ", f.read().replace("\n", " \n"))
        for sample in ("ha.d/ha.cf", "ha.d/authkeys", "ha.d/haresources", "ha.d/ldirectord.cf",
                       "mysql-cluster/config.ini", "mysql-cluster/my.cnf"):
            self.assertIn(f"usr/local/share/doc/halb/examples/etc/{sample}", installed)
        self.assertIn("usr/local/share/halb/lab/clusterlab.py", installed)


if __name__ == "__main__":
    unittest.main()
