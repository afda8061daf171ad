"""libFuzzer over halb-sqld's packet decoding (tests/fuzz/fuzz_packet.cc):
built with clang's fuzzer and address sanitizer, run for 20 seconds; any
crash, leak or sanitizer report fails the test."""
import os
import shutil
import subprocess
import tempfile
import unittest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLANG = shutil.which(os.environ.get("CLANGXX", "clang++"))


@unittest.skipUnless(CLANG, "clang++ is not installed")
class FuzzPacket(unittest.TestCase):
    def test_twenty_seconds_without_a_crash(self):
        tmp = tempfile.mkdtemp(prefix="halb-fuzz-packet-")
        try:
            binary = os.path.join(tmp, "fuzz_packet")
            r = subprocess.run([os.path.join(TOP, "tests/fuzz/build-fuzz-packet"), binary], capture_output=True,
                               text=True, timeout=600)
            self.assertEqual(r.returncode, 0, r.stderr[-3000:])
            corpus = os.path.join(tmp, "corpus")
            os.mkdir(corpus)
            r = subprocess.run([binary, "-max_total_time=20", "-rss_limit_mb=1024", "-print_final_stats=1",
                                f"-artifact_prefix={tmp}/", corpus], capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr[-4000:])
            self.assertIn("Done", r.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
