"""libFuzzer over every decoder of network bytes and operators' files outside
halb-sqld (tests/fuzz/fuzz_inputs.cc: cluster frames and engine messages,
the management protocol, heartbeat datagrams, halb-lvsd's control requests
and sync datagrams, what real servers answer halb-director's health checks,
ldirectord.cf, config.ini, my.cnf, ha.cf, haresources, authkeys, and
halb-mgmd's server itself over loopback connections), built with clang's
fuzzer and address sanitizer and run for 30 seconds from a seed corpus the
target writes itself (encoded frames, messages and datagrams, conversations
with halb-mgmd, real servers' answers to the checks, and the sample configs
under etc/); any crash, leak, hang, broken round trip, unreadable halb-mgmd
reply or sanitizer report fails the test."""
import os
import shutil
import subprocess
import unittest

from halb import SRC_DIR, run_fuzzer

CLANG = shutil.which(os.environ.get("CLANGXX", "clang++"))


def write_seeds(binary, corpus):
    r = subprocess.run([binary, f"--seeds={corpus}", f"--samples={SRC_DIR}/etc"], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0 or len(os.listdir(corpus)) < 20:
        raise AssertionError(f"the seed corpus was not written: {r.stdout}{r.stderr[-3000:]}")


@unittest.skipUnless(CLANG, "clang++ is not installed")
class FuzzInputs(unittest.TestCase):
    def test_thirty_seconds_without_a_crash(self):
        run_fuzzer(self, "build-fuzz-inputs", 30, write_seeds, options=["-timeout=10"])


if __name__ == "__main__":
    unittest.main()
