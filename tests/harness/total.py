"""Sum every suite's summary file and print the closing line."""
import json
import os
import sys

passed = failed = skipped = 0
for name in sorted(os.listdir(sys.argv[1])):
    if not name.endswith(".sum"):
        continue
    with open(os.path.join(sys.argv[1], name)) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            s = json.loads(line)
            passed += s["passed"]
            failed += s["failed"]
            skipped += s["skipped"]
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
