#!/usr/bin/env python3
"""test_schema_agree.py -- docs/scenario.schema.json and the scenario loader
(`mailsim --check`) agree on every file: an editor that checks a lesson
against the schema flags exactly what mailsim would refuse.

Two sets of files are fed to both:
  - every file in tests/scenarios/bad (the loader refuses each one);
  - near misses generated from tests/scenarios/good/full.json, which uses
    every key of the format: each value replaced by edge values of its kind
    (just inside and just outside every range, line breaks, overlong text,
    wrong types, impossible dates), each key removed, an unknown key added.
The schema must accept what the loader accepts and refuse what it refuses,
except where the loader's rule relates two places of the file (a name that
must exist elsewhere, uniqueness, order, sums, files on disk): JSON Schema
cannot express those, and docs/scenario-format.md lists them. The loader's
message says which rule refused a file; CROSS below matches those messages.

Uses Debian's python3-jsonschema (make deps-test installs it)."""
import copy
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import jsonschema
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3") \
            and not os.environ.get("SCN_SCHEMA_REEXEC"):
        env = dict(os.environ, SCN_SCHEMA_REEXEC="1")
        sys.exit(subprocess.call(["/usr/bin/python3", os.path.abspath(__file__)], env=env))
    print("FAIL: python3-jsonschema is not installed (make deps-test installs it)")
    sys.exit(1)

# The loader's rules that relate two places of a file (docs/scenario-format.md,
# "Rules the schema cannot express"). A refusal whose message matches one of
# these may be accepted by the schema.
CROSS = [
    (r"no host is called", "a name must be a host of the file"),
    (r"no mail server serves the domain", "an address's domain must be served"),
    (r"has no user", "an address must be a user of its server"),
    (r"is a [a-z_]+, not a", "a reference must name a host of the right kind"),
    (r"does not apply to a [a-z_]+ host", "a variant key must fit the host's kind"),
    (r"no narration of the main timeline|narrations of the main timeline are at",
     "a variant's narration replaces one of the main timeline's"),
    (r"already served by|duplicate host name|address already used|already joined by|duplicate user|duplicate variant name|duplicate key|duplicate narration id",
     "names, domains, addresses, links, users and variants are unique"),
    (r"is before the previous action", "the timeline is in time order"),
    (r"shorter than the retry interval", "give-up is not shorter than the retry interval"),
    (r"add up to", "sizes summed over a message or the file"),
    (r"cannot be opened|is a directory|is not a regular file|attachment files add up", "attachment files on disk"),
    (r"lone surrogate|invalid UTF-8|overlong|escape", "JSON text itself (escapes, encoding)"),
    (r"is out of range \(0 to [0-9]+\)", "a question's answer indexes its own choices"),
    (r"a link must join two different hosts", "a link's two ends differ"),
    (r"would pass .* mail on|MX", "MX records point at the server of their domain"),
    (r"has webmail off", "webmail needs the server's webmail on"),
    (r"no link joins", "a link action names an existing link"),
    (r"not a device|direct_host", "direct delivery names a device"),
    (r"no page|no object", "a page or object must exist on its server"),
    (r"owner", "a device's owner must be a user"),
    (r"no variant called", "--variant names a variant of the file"),
    (r"is longer than (255|998) bytes", "a byte limit that the file system (a 255-byte path) or "
     "the wire (a 998-byte header line) counts; the schema states the same number in characters"),
]


def cross_rule(msg):
    for pat, why in CROSS:
        if re.search(pat, msg):
            return why
    return None


def mailsim():
    build = os.environ.get("MAILSIM_BUILD", "build")
    for cand in (os.path.join(ROOT, build, "san", "mailsim"), os.path.join(ROOT, "mailsim")):
        if os.access(cand, os.X_OK):
            return cand
    print("FAIL: no mailsim binary (run make)")
    sys.exit(1)


def check_files(binary, paths):
    """Run `mailsim --check` on paths; return {path: None (ok) or message}."""
    out = {}
    for i in range(0, len(paths), 200):
        batch = paths[i:i + 200]
        p = subprocess.run([binary, "--check"] + batch, capture_output=True, text=True,
                           errors="replace", timeout=300)
        for line in p.stdout.splitlines():
            m = re.match(r"(.*): ok \(", line)
            if m:
                out[m.group(1)] = None
        for line in p.stderr.splitlines():
            for path in batch:
                if line.startswith(path + ":"):
                    out.setdefault(path, line[len(path) + 1:])
                    break
        for path in batch:
            if path not in out:
                out[path] = "(no answer: exit %d) %s" % (p.returncode, p.stderr[-300:])
    return out


# ---- near misses -------------------------------------------------------------

LONG = "x" * 201
STRINGS = ["", " ", "a\nb", "a\rb", "tab\tin", LONG, "é" * 150, "é" * 201, "x" * 1001,
           "0s", "0ms", "1us", "366d", "367d", "400d", "30 min", "40 ms", "1h30m", "5d",
           "1:4294967295", "1:4294967296", "0", "4294967295", "4294967296", "-1",
           "1bps", "999bps", "1kbps", "1Kbps", "100Gbps", "101Gbps", "0Mbps",
           "1B", "0B", "64MiB", "65MiB", "1GiB", "2GiB",
           "2024-02-29T09:00:00Z", "2025-02-29T09:00:00Z", "2025-04-31T00:00:00Z",
           "2025-13-01T00:00:00Z", "2025-01-01T24:00:00Z", "1969-12-31T23:59:59Z",
           "2025-01-01T00:00:00+14:00", "2025-01-01T00:00:00+25:00",
           "a@b", "bob@example.net", "../x", "/etc/passwd", "image/png", "text",
           "INBOX", "*", "1,", "1:*", "\\Seen", "\\Recent", "$Lecture"]
NUMBERS = [0, -1, 1, 0.5, 1.5, 5, 6, 99, 100, 575, 576, 999, 1000, 65535, 65536,
           100000, 100001, 4294967295, 4294967296, 100000000000, 100000000001,
           9007199254740991, 9007199254740992, 1e300]
OTHERS = [True, False, None, [], {}, ["x"]]


def leaves(doc, path=()):
    if isinstance(doc, dict):
        yield path, doc
        for k, v in doc.items():
            yield from leaves(v, path + (k,))
    elif isinstance(doc, list):
        yield path, doc
        for i, v in enumerate(doc):
            yield from leaves(v, path + (i,))
    else:
        yield path, doc


def set_at(doc, path, value):
    d = copy.deepcopy(doc)
    cur = d
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value
    return d


def add_key(doc, path, key, value):
    d = copy.deepcopy(doc)
    cur = d
    for p in path:
        cur = cur[p]
    cur[key] = copy.deepcopy(value)
    return d


def del_at(doc, path):
    d = copy.deepcopy(doc)
    cur = d
    for p in path[:-1]:
        cur = cur[p]
    del cur[path[-1]]
    return d


def keys_elsewhere(base, path):
    """Keys (with a value) that objects of the same list use but this one
    lacks: an IMAP step's key given to another op, an action's key given to
    another kind of action, a mail server's key given to a PC."""
    if len(path) < 2 or not isinstance(path[-1], int):
        return []
    parent = base
    for p in path[:-1]:
        parent = parent[p]
    mine = parent[path[-1]]
    seen = {}
    for other in parent:
        if isinstance(other, dict):
            for k, v in other.items():
                if k not in mine and k not in seen:
                    seen[k] = v
    return sorted(seen.items())


def near_misses(base, rng, per_leaf):
    out = []
    for path, val in leaves(base):
        if not path:
            continue
        if isinstance(val, dict):
            for k, v in keys_elsewhere(base, path):
                out.append(("%s + %s" % (fmt(path), k), add_key(base, path, k, v)))
        if not isinstance(val, (dict, list)) and isinstance(path[-1], str):
            out.append(("remove " + fmt(path), del_at(base, path)))
        if isinstance(val, (dict, list)):
            if isinstance(path[-1], str):
                out.append(("remove " + fmt(path), del_at(base, path)))
            if isinstance(val, dict):
                d = copy.deepcopy(base)
                cur = d
                for p in path:
                    cur = cur[p]
                cur["zz_unknown"] = 1
                out.append(("unknown key in " + fmt(path), d))
            if isinstance(val, list):
                out.append(("empty " + fmt(path), set_at(base, path, [])))
            continue
        pool = STRINGS if isinstance(val, str) else NUMBERS if isinstance(val, (int, float)) \
            and not isinstance(val, bool) else OTHERS
        picks = rng.sample(pool, min(per_leaf, len(pool)))
        picks += rng.sample(OTHERS + STRINGS[:3] + NUMBERS[:3], 2)
        for v in picks:
            if v == val:
                continue
            out.append(("%s = %s" % (fmt(path), json.dumps(v)[:40]), set_at(base, path, v)))
    return out


def fmt(path):
    return "".join("[%d]" % p if isinstance(p, int) else ".%s" % p for p in path).lstrip(".")


def main():
    with open(os.path.join(ROOT, "docs", "scenario.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    binary = mailsim()
    failures = []

    # 1. The bad files: the loader refuses each; the schema must too, unless
    #    the refusal is a cross-reference rule.
    bad = sorted(glob.glob(os.path.join(ROOT, "tests", "scenarios", "bad", "*.json")))
    res = check_files(binary, bad)
    n_cross = 0
    for path in bad:
        msg = res[path]
        rel = os.path.relpath(path, ROOT)
        if msg is None:
            failures.append("%s: the loader accepts a file in tests/scenarios/bad" % rel)
            continue
        try:
            raw = open(path, "rb").read()
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            doc = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue  # not JSON at all: nothing for the schema to judge
        if not validator.is_valid(doc):
            continue
        if cross_rule(msg):
            n_cross += 1
            continue
        failures.append("%s: the schema accepts what the loader refuses: %s" % (rel, msg))

    # 2. Near misses of the file that uses every key.
    good_dir = os.path.join(ROOT, "tests", "scenarios", "good")
    base = json.load(open(os.path.join(good_dir, "full.json"), encoding="utf-8"))
    base.pop("$schema", None)
    rng = random.Random(20261206)
    cases = near_misses(base, rng, int(os.environ.get("AGREE_PER_LEAF", "2")))
    n_agree = 0
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(os.path.join(good_dir, "files"), os.path.join(tmp, "files"))
        paths = []
        for i, (_, doc) in enumerate(cases):
            p = os.path.join(tmp, "near-%05d.json" % i)
            with open(p, "w", encoding="utf-8") as f:
                json.dump(doc, f, ensure_ascii=False, indent=1)
            paths.append(p)
        res = check_files(binary, paths)
        for (what, doc), p in zip(cases, paths):
            loader_msg = res[p]
            errs = list(validator.iter_errors(doc))
            schema_ok = not errs
            if (loader_msg is None) == schema_ok:
                n_agree += 1
                continue
            if loader_msg is not None and schema_ok and cross_rule(loader_msg):
                n_agree += 1
                continue
            if loader_msg is None:
                e = errs[0]
                failures.append("near miss %s: the schema refuses (%s: %s) what the loader accepts"
                                % (what, fmt(tuple(e.absolute_path)), e.message[:160]))
            else:
                failures.append("near miss %s: the schema accepts what the loader refuses: %s"
                                % (what, loader_msg[:200]))
    for f in failures:
        print("FAIL " + f)
    print("test_schema_agree: %d bad files (%d cross-reference rules), %d near misses, "
          "%d agree, %d disagreements" % (len(bad), n_cross, len(cases), n_agree, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
