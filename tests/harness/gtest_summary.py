"""Turn a GoogleTest JSON report into the runner's per-suite summary."""
import json
import sys

report = json.load(open(sys.argv[1]))
passed = failed = skipped = 0
for suite in report.get("testsuites", []):
    for case in suite.get("testsuite", []):
        if case.get("result") == "SKIPPED" or case.get("status") == "NOTRUN":
            skipped += 1
        elif case.get("failures"):
            failed += 1
        else:
            passed += 1
print(json.dumps({"suite": sys.argv[2], "passed": passed, "failed": failed, "skipped": skipped}))
print(f"{sys.argv[2]}: {passed} passed, {failed} failed, {skipped} skipped", file=sys.stderr)
