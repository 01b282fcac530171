"""The Mermaid export of every lesson, read line by line against the
sequenceDiagram grammar it uses (docs/exports.md) and against the JSON lines
export of the same run: every statement is a participant, an arrow or a note
between the fences; participants are declared before use, in order of first
appearance; every protocol line sent is one labelled arrow (an empty line is
"(blank line)"), a line sent inside TLS is labelled "[TLS] " first, and each
reply that starts TLS is followed by a note saying so; every narration and
every message fate is a note, also in a run without any protocol line
(lesson 07); gaps read "30m later"."""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

BUILD = os.environ.get("MAILSIM_BUILD", "build")
MAILSIM = os.path.join(BUILD, "san", "mailsim")
if not os.path.exists(MAILSIM):
    MAILSIM = "./mailsim"
FATES = {"MSG_DEFERRED", "MSG_BOUNCED", "MSG_DELIVERED", "MSG_DUPLICATE", "MSG_NOT_SENT"}
TEXT = r"[^;#<>\"&:\n]*(?:#\d+;[^;#<>\"&:\n]*)*"
PARTICIPANT = re.compile(r"^    participant (h\d+) as (%s)$" % TEXT)
ARROW = re.compile(r"^    (h\d+)(->>|-->>)(h\d+): (%s)$" % TEXT)
NOTE = re.compile(r"^    Note (over (h\d+)(?:,(h\d+))?|right of (h\d+)): (%s)$" % TEXT)
GAP = re.compile(r"^\.\.\. (\d+d( \d+h)?|\d+h( \d+m)?|\d+m) later \.\.\.$")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def main():
    lessons = sorted(glob.glob("scenarios/*.json"))
    if len(lessons) < 15:
        fail("expected the shipped lessons in scenarios/, found %d" % len(lessons))
    with tempfile.TemporaryDirectory() as tmp:
        for sc in lessons:
            md, jl = os.path.join(tmp, "x.md"), os.path.join(tmp, "x.jsonl")
            r = subprocess.run([MAILSIM, "--export-mermaid", md, "--export-jsonl", jl, sc],
                               capture_output=True, text=True, timeout=300)
            if r.returncode != 0:
                fail("%s: mailsim exited %d: %s" % (sc, r.returncode, r.stderr[-400:]))
            recs = [json.loads(l) for l in open(jl, encoding="utf-8")]
            lines = open(md, encoding="utf-8").read().split("\n")
            if lines[:2] != ["```mermaid", "sequenceDiagram"] or lines[-2:] != ["```", ""]:
                fail("%s: not a fenced sequenceDiagram" % sc)
            declared, arrows, notes, gaps, blank, tls_arrows = [], 0, [], 0, 0, 0
            for ln in lines[2:-2]:
                if ln.startswith("    title "):
                    continue
                m = PARTICIPANT.match(ln)
                if m:
                    if arrows or notes:
                        fail("%s: participant after the first message: %s" % (sc, ln))
                    declared.append(m.group(1))
                    continue
                m = ARROW.match(ln)
                if m:
                    if m.group(1) not in declared or m.group(3) not in declared:
                        fail("%s: arrow between undeclared participants: %s" % (sc, ln))
                    if not m.group(4).strip():
                        fail("%s: an arrow without a label: %s" % (sc, ln))
                    # a line inside TLS is labelled "[TLS] " first (after STARTTLS)
                    blank += m.group(4) in ("(blank line)", "[TLS] (blank line)")
                    tls_arrows += m.group(4).startswith("[TLS] ")
                    arrows += 1
                    continue
                m = NOTE.match(ln)
                if m:
                    for h in (m.group(2), m.group(3), m.group(4)):
                        if h and h not in declared:
                            fail("%s: note on an undeclared participant: %s" % (sc, ln))
                    if m.group(5).startswith("... "):
                        if not GAP.match(m.group(5)):
                            fail("%s: a gap note not in the documented style: %s" % (sc, ln))
                        gaps += 1
                    else:
                        notes.append(m.group(5))
                    continue
                fail("%s: not a statement of the diagram: %r" % (sc, ln))
            sent = [x for x in recs if x["kind"] == "LINE_SENT"]
            if arrows != len(sent):
                fail("%s: %d arrows for %d protocol lines sent" % (sc, arrows, len(sent)))
            if blank != sum(1 for x in sent if x["line"] in ("\r\n", "\n")):
                fail("%s: %d '(blank line)' arrows for the empty lines sent" % (sc, blank))
            # Order of first appearance, as the JSON lines tell it.
            first = []
            for x in recs:
                if x["kind"] == "LINE_SENT":
                    names = [x["host"], x["peer"]]
                elif x["kind"] in FATES or x["kind"] == "MSG_COMPOSED":
                    names = [x["host"], x["peer"]]
                elif x["kind"] == "NARRATION":
                    names = [x["host"]]
                else:
                    continue
                for n in names:
                    if n is not None and n not in first:
                        first.append(n)
            got = [re.search(r" as (.*)$", l).group(1) for l in lines if PARTICIPANT.match(l)]
            if got != first:
                fail("%s: participants %r, first appearance %r" % (sc, got, first))
            if tls_arrows != sum(1 for x in sent if "tls" in x["flags"]):
                fail("%s: %d arrows marked [TLS] for %d lines sent inside TLS"
                     % (sc, tls_arrows, sum(1 for x in sent if "tls" in x["flags"])))
            tls_notes = [n for n in notes if n.startswith("STARTTLS - from here the connection is encrypted")]
            if len(tls_notes) != sum(1 for x in sent if "tls_start" in x["flags"]):
                fail("%s: %d STARTTLS notes for %d replies that start TLS" % (sc, len(tls_notes),
                     sum(1 for x in sent if "tls_start" in x["flags"])))
            want = sum(1 for x in recs if x["kind"] == "NARRATION") + \
                sum(1 for x in recs if x["kind"] in FATES) + len(tls_notes)
            if len(notes) != want:
                fail("%s: %d notes for %d narrations and fates" % (sc, len(notes), want))
            print("ok %s: %d participants, %d arrows (%d blank), %d notes, %d gaps"
                  % (sc, len(declared), arrows, blank, len(notes), gaps))


main()
