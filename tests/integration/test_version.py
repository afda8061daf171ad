"""`PROGRAM --version` for every program make installs (and the test
tool halb-ndbapi-tool): one line, "NAME VERSION", the version configure's
AC_INIT gives, exit 0; -V too where the tool halb stands in for has it;
and every page in man/ names the option."""
import os
import re
import subprocess
import unittest

from halb import BUILD_DIR, SRC_DIR, program

# Programs whose anchor (heartbeat, ndb_mgmd, ndb_mgm, ndbd, ndb_restore,
# mysqld, ipvsadm) takes -V for its version.
SHORT_V = {"halb-heartbeat", "halb-mgmd", "halb-mgm", "halb-ndbd", "halb-restore", "halb-sqld", "halb-adm"}
# Their own wording after "NAME VERSION": ipvsadm's -v says which
# ipvsadm it follows.
SUFFIX = {"halb-adm": " (ipvsadm v1.31 command line and output)"}
TEST_TOOLS = ["halb-ndbapi-tool"]
# These parse their whole command line first, as ldirectord and ipvsadm
# do: a bad option beside --version is a usage error there.
PARSE_FIRST = {"halb-director", "halb-adm"}


def configure_version():
    with open(os.path.join(SRC_DIR, "configure.ac")) as f:
        return re.search(r"AC_INIT\(\[[^]]*\],\s*\[([^]]+)\]", f.read()).group(1)


def installed_programs():
    """bin and sbin programs and scripts, as the build's Makefile lists them."""
    rule = "halb-print-programs:\n\t@echo $(bin_PROGRAMS) $(sbin_PROGRAMS) $(bin_SCRIPTS) $(sbin_SCRIPTS)\n"
    r = subprocess.run(["make", "-s", "-f", "Makefile", "-f", "-", "halb-print-programs"], cwd=BUILD_DIR,
                       input=rule, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(r.stderr)
    return r.stdout.split()


class Version(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.version = configure_version()
        cls.programs = installed_programs() + TEST_TOOLS

    def run_program(self, name, *args):
        return subprocess.run([program(name), *args], capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)

    def test_every_program_prints_name_and_version(self):
        self.assertGreaterEqual(len(self.programs), 14, self.programs)
        for name in self.programs:
            with self.subTest(program=name):
                want = f"{name} {self.version}{SUFFIX.get(name, '')}\n"
                r = self.run_program(name, "--version")
                self.assertEqual((r.returncode, r.stdout, r.stderr), (0, want, ""))
                if name not in PARSE_FIRST:
                    # Asked for anywhere before "--", whatever else the line holds.
                    r = self.run_program(name, "--no-such-option", "--version")
                    self.assertEqual((r.returncode, r.stdout), (0, want))
                if name in SHORT_V:
                    r = self.run_program(name, "-V")
                    self.assertEqual((r.returncode, r.stdout), (0, want))

    def test_a_closed_stdout_is_an_error(self):
        r = subprocess.run([program("halb-mgmd"), "--version"], stdout=open("/dev/full", "w"),
                           stderr=subprocess.DEVNULL, timeout=30)
        self.assertEqual(r.returncode, 1)

    def test_every_page_lists_the_option(self):
        for name in self.programs:
            if name in TEST_TOOLS:
                continue
            with self.subTest(program=name):
                pages = [p for p in (f"{name}.8", f"{name}.1") if os.path.exists(os.path.join(SRC_DIR, "man", p))]
                self.assertEqual(len(pages), 1, f"{name}: one page in man/")
                with open(os.path.join(SRC_DIR, "man", pages[0])) as f:
                    text = f.read()
                self.assertIn(r"\-\-version", text)
                if name in SHORT_V:
                    self.assertRegex(text, r'\\-V\b')


if __name__ == "__main__":
    unittest.main()
