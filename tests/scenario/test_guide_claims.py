#!/usr/bin/env python3
"""test_guide_claims.py -- what the user guide and the scenario format say
about the wire is what the wire shows.

  - docs/user-guide.md: a connection to a host that is down sends its SYN
    six times (1, 2, 4, 8, 16 s apart, then 32 s more) and times out after
    63 seconds. Checked on lesson 03's first delivery attempt, in the
    --export-jsonl records.
  - docs/scenario-format.md, smtp.pipelining: with PIPELINING the client
    sends every RCPT in one go and the replies come back together, one
    batch; without it, each RCPT waits for its reply. Checked on
    docs/examples/five-recipients-one-unknown.json, whose submission server
    offers PIPELINING and whose receiving server does not."""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []


def fail(msg):
    failures.append(msg)


def mailsim():
    build = os.environ.get("MAILSIM_BUILD", "build")
    for cand in (os.path.join(ROOT, build, "san", "mailsim"), os.path.join(ROOT, "mailsim")):
        if os.access(cand, os.X_OK):
            return cand
    print("FAIL: no mailsim binary (run make)")
    sys.exit(1)


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def syn_claim(binary):
    guide = " ".join(read("docs/user-guide.md").split())
    if "three tries" in guide:
        fail("docs/user-guide.md still says a connection gives up after three tries")
    if "sends the SYN six times" not in guide or "after 63 seconds" not in guide:
        fail("docs/user-guide.md no longer says six SYNs and 63 seconds")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "l03.jsonl")
        subprocess.run([binary, "--export-jsonl", out, os.path.join(ROOT, "scenarios", "03-server-down-two-hours.json")],
                       check=True, capture_output=True, timeout=300)
        recs = [json.loads(line) for line in open(out, encoding="utf-8")]
    # The first connection to the switched-off server: its SYNs from the
    # sending server, and its timeout.
    timeout = next((r for r in recs if r["kind"] == "CONN_TIMEOUT" and r["server"] == "mail.example.net"), None)
    if not timeout:
        fail("lesson 03: no connection to mail.example.net timed out")
        return
    conn = timeout["conn"]
    syns = [r for r in recs if r["kind"] in ("SEG_SENT", "SEG_RETRANS") and r.get("conn") == conn
            and r.get("hop_from") == "mail.example.org" and r["flags"] == 2]
    times = [r["t_us"] for r in syns]
    if len(times) != 6:
        fail("lesson 03: %d SYNs on connection %d, the guide says six" % (len(times), conn))
        return
    gaps = [(b - a) // 1000000 for a, b in zip(times, times[1:])]
    if gaps != [1, 2, 4, 8, 16]:
        fail("lesson 03: SYNs %s s apart, the guide says 1, 2, 4, 8 and 16" % gaps)
    waited = (timeout["t_us"] - times[0]) / 1e6
    if abs(waited - 63) > 0.001:
        fail("lesson 03: the connection timed out after %.3f s, the guide says 63" % waited)


def pipelining_claim(binary):
    fmt = " ".join(read("docs/scenario-format.md").split())
    if not re.search(r"`pipelining` \(default `true`: .*replies come back together, one batch", fmt):
        fail("docs/scenario-format.md no longer links pipelining to the batch of replies")
    p = subprocess.run([binary, "--transcript", os.path.join(ROOT, "docs", "examples", "five-recipients-one-unknown.json")],
                       check=True, capture_output=True, text=True, timeout=300)
    conns = re.split(r"^--- connection ", p.stdout, flags=re.M)
    sub = next((c for c in conns if ":587 (SMTP)" in c.splitlines()[0]), "")
    relay = next((c for c in conns if "-> mail.example.net:25 (SMTP)" in c.splitlines()[0]), "")

    def rcpt_times(block):
        lines = block.splitlines()
        cmds = [ln[:12] for ln in lines if "C: RCPT TO:" in ln]
        # the reply to MAIL and to each RCPT: the 250 / 550 lines after the first RCPT
        first = next((i for i, ln in enumerate(lines) if "C: RCPT TO:" in ln), None)
        if first is None:
            return cmds, []
        replies = [ln[:12] for ln in lines[first:] if re.search(r"S: (250 2\.1\.5|550)", ln)]
        return cmds, replies

    cmds, replies = rcpt_times(sub)
    if len(cmds) != 5 or len(set(cmds)) != 1 or len(replies) != 5 or len(set(replies)) != 1:
        fail("with PIPELINING (submission): the five RCPTs and their replies are not one batch each: "
             "RCPT at %s, replies at %s" % (cmds, replies))
    cmds, replies = rcpt_times(relay)
    if len(cmds) != 5 or len(set(cmds)) != 5 or len(replies) != 5 or len(set(replies)) != 5:
        fail("without PIPELINING (relay): each RCPT does not wait for its reply: RCPT at %s, replies at %s"
             % (cmds, replies))


def main():
    binary = mailsim()
    syn_claim(binary)
    pipelining_claim(binary)
    for f in failures:
        print("FAIL " + f)
    print("test_guide_claims: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
