"""libFuzzer over every decoder of network bytes and operators' files outside
halb-sqld (tests/fuzz/fuzz_inputs.cc: cluster frames and engine messages,
the management protocol, heartbeat datagrams, halb-lvsd's control requests
and sync datagrams, ldirectord.cf, config.ini, my.cnf, ha.cf, haresources,
authkeys), built with clang's fuzzer and address sanitizer and run for 30
seconds from a seed corpus the target writes itself (encoded frames,
messages and datagrams, and the sample configs under etc/); any crash, leak,
broken round trip or sanitizer report fails the test."""
import os
import shutil
import subprocess
import tempfile
import unittest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLANG = shutil.which(os.environ.get("CLANGXX", "clang++"))


@unittest.skipUnless(CLANG, "clang++ is not installed")
class FuzzInputs(unittest.TestCase):
    def test_thirty_seconds_without_a_crash(self):
        tmp = tempfile.mkdtemp(prefix="halb-fuzz-inputs-")
        try:
            binary = os.path.join(tmp, "fuzz_inputs")
            r = subprocess.run([os.path.join(TOP, "tests/fuzz/build-fuzz-inputs"), binary], capture_output=True,
                               text=True, timeout=600)
            self.assertEqual(r.returncode, 0, r.stderr[-3000:])
            corpus = os.path.join(tmp, "corpus")
            os.mkdir(corpus)
            r = subprocess.run([binary, f"--seeds={corpus}", f"--samples={TOP}/etc"], capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr[-3000:])
            self.assertGreater(len(os.listdir(corpus)), 20, r.stdout)
            r = subprocess.run([binary, "-max_total_time=30", "-rss_limit_mb=1024", "-timeout=10",
                                "-print_final_stats=1", f"-artifact_prefix={tmp}/", corpus],
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr[-4000:])
            self.assertIn("Done", r.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
