"""Run one Python test suite (tests/integration, tests/netns, tests/vm).

Discovers test_*.py under the suite folder with unittest, prints each
test's outcome as it finishes, and writes {"passed","failed","skipped"} to
the summary file. A suite skips a test only when its prerequisite is
really absent (no root, no namespaces, no qemu) and says why.
"""
import argparse
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class Result(unittest.TextTestResult):
    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def _stamp(self):
        # A class or module set-up error is reported before any test started.
        return f" ({time.monotonic() - getattr(self, '_t0', time.monotonic()):.1f}s)"

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed = getattr(self, "passed", 0) + 1
        self.stream.write(f"PASS {test.id()}{self._stamp()}\n")
        self.stream.flush()

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.stream.write(f"FAIL {test.id()}{self._stamp()}\n")
        self.stream.flush()

    def addError(self, test, err):
        super().addError(test, err)
        self.stream.write(f"ERROR {test.id()}{self._stamp()}\n")
        self.stream.flush()

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.stream.write(f"SKIP {test.id()}: {reason}\n")
        self.stream.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("suite_dir")
    ap.add_argument("--summary", required=True)
    ap.add_argument("-k", dest="pattern", default=None)
    args = ap.parse_args()
    name = os.path.basename(os.path.normpath(args.suite_dir))
    if not os.path.isdir(args.suite_dir) or not any(f.startswith("test_") for f in os.listdir(args.suite_dir)):
        # A tier with no tests yet (tests/vm arrives with the kernel-IPVS work).
        with open(args.summary, "w") as f:
            f.write(json.dumps({"suite": name, "passed": 0, "failed": 0, "skipped": 0}) + "\n")
        print(f"{name}: no tests in this tree yet")
        return
    loader = unittest.TestLoader()
    if args.pattern:
        loader.testNamePatterns = [f"*{args.pattern}*"]
    suite = loader.discover(args.suite_dir, pattern="test_*.py", top_level_dir=args.suite_dir)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=0, resultclass=Result)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors)
    skipped = len(result.skipped)
    # Counted, not derived from testsRun: a class set-up error is a failure
    # that testsRun does not count.
    passed = getattr(result, "passed", 0)
    with open(args.summary, "w") as f:
        f.write(json.dumps({"suite": name, "passed": passed, "failed": failed, "skipped": skipped}) + "\n")
    print(f"{name}: {passed} passed, {failed} failed, {skipped} skipped")


if __name__ == "__main__":
    main()
