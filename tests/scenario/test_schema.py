#!/usr/bin/env python3
"""test_schema.py -- every shipped scenario (scenarios/*.json), every file in
tests/scenarios/good/ (the built-in lesson is scenarios/01) validate against
docs/scenario.schema.json (JSON Schema draft 2020-12), and a few bad files
do not. Uses Debian's python3-jsonschema; without it the test fails with
the command that installs it."""
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import jsonschema
except ImportError:
    # The runner may use a python3 without Debian's packages; try the system one.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3") \
            and not os.environ.get("SCN_SCHEMA_REEXEC"):
        env = dict(os.environ, SCN_SCHEMA_REEXEC="1")
        sys.exit(subprocess.call(["/usr/bin/python3", os.path.abspath(__file__)], env=env))
    print("test_schema: FAIL: python3-jsonschema is not installed "
          "(make deps-test, or apt-get install python3-jsonschema)")
    sys.exit(1)


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return json.loads(raw.decode("utf-8"))


def main():
    with open(os.path.join(ROOT, "docs", "scenario.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    validator = cls(schema)
    files = sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.json")))
    files += sorted(glob.glob(os.path.join(ROOT, "tests", "scenarios", "good", "*.json")))
    failures = 0
    for path in files:
        errors = sorted(validator.iter_errors(load(path)), key=lambda e: list(e.absolute_path))
        rel = os.path.relpath(path, ROOT)
        if errors:
            failures += 1
            for e in errors[:5]:
                where = "".join("[%d]" % p if isinstance(p, int) else ".%s" % p for p in e.absolute_path)
                print("FAIL %s: %s: %s" % (rel, where.lstrip(".") or "(top)", e.message))
        else:
            print("ok   %s" % rel)
    # Bad files the schema alone can catch must be rejected by it too, so
    # the schema cannot silently accept everything.
    must_fail = ["unknown-key-case", "unknown-key-typo", "duration-30-min", "missing-title",
                 "crlf-subject", "attachment-dotdot", "key-wrong-host-kind", "key-wrong-action",
                 "loss-out-of-range", "imap-bad-set", "number-fraction", "wrong-type-title"]
    for name in must_fail:
        path = os.path.join(ROOT, "tests", "scenarios", "bad", name + ".json")
        if validator.is_valid(load(path)):
            failures += 1
            print("FAIL %s: the schema accepts it" % os.path.relpath(path, ROOT))
        else:
            print("ok   %s rejected" % name)
    print("test_schema: %d files, %d failures" % (len(files) + len(must_fail), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
