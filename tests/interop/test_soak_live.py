"""A short `make soak-live`: the bounded live load (50 clients sending,
reading and deleting, 300 idle connections, 32 slowloris) for 20 s under
ASan+UBSan (nothing may go wrong: mailsim stays up, no client error), then
20 s on the release build, whose peak RSS must stay under the bound
docs/live-mode.md states. `make soak-live` runs the hour."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import BIN, ROOT, bound_test, check  # noqa: E402

SCRIPT = os.path.join(ROOT, "scripts", "soak-live.py")
LOAD = ["--clients", "50", "--idle", "300", "--slow", "32", "--pause", "0.5",
        "--extra", "--line-timeout 5s"]
RELEASE_RSS_BOUND_MB = "128"  # docs/live-mode.md, "Memory"


def run(args, what):
    r = subprocess.run([sys.executable, SCRIPT] + args, cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=150)
    out = r.stdout.decode("utf-8", "replace")
    print(out)
    check(r.returncode == 0, "%s: soak-live failed" % what)
    check("soak-live: rss start" in out, "%s: no RSS line" % what)


def main():
    bound_test(170)
    run(["--bin", BIN, "--seconds", "20"] + LOAD, "ASan build")
    release = os.path.join(ROOT, "mailsim")
    if not os.path.exists(release):
        print("FAIL: %s is missing (make test builds it)" % release)
        sys.exit(1)
    run(["--bin", release, "--seconds", "20", "--max-rss-mb", RELEASE_RSS_BOUND_MB] + LOAD,
        "release build")
    print("ok: the bounded live load under ASan and within %s MiB released" % RELEASE_RSS_BOUND_MB)


if __name__ == "__main__":
    main()
