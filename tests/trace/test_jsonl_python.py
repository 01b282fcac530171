"""JSON lines as Python's json module reads them, against docs/exports.md.

- every line of every lesson parses; `step` is the window's step: the
  message view drawn with --render-step at the step of a MSG_DELIVERED
  record already lists that record as the message's latest event;
- every record of a composed message names the message's Message-ID;
- `reason` is one of the documented names;
- a byte that is not UTF-8 (a Latin-1 "é" in an imported message) comes out
  as the surrogate U+DCE9, never as the character U+00E9, and
  .encode("utf-8", "surrogateescape") gives the wire bytes back;
- the message view at Bob's PC shows the message once POP3 stored it there."""
import glob
import json
import os
import subprocess
import sys
import tempfile

BUILD = os.environ.get("MAILSIM_BUILD", "build")
MAILSIM = os.path.join(BUILD, "san", "mailsim")
if not os.path.exists(MAILSIM):
    MAILSIM = "./mailsim"
REASONS = {"none", "loss", "link_down", "host_down", "no_route", "no_port", "too_big", "rst", "abort"}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def mailsim(*args):
    r = subprocess.run([MAILSIM, *args], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        fail("mailsim %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr[-500:]))
    return r


def export(scenario, tmp, *extra):
    out = os.path.join(tmp, "run.jsonl")
    mailsim("--export-jsonl", out, *extra, scenario)
    text = open(out, "rb").read().decode("utf-8")  # the file itself is UTF-8
    return text, [json.loads(l) for l in text.splitlines()]


def view_at(scenario, tmp, step, host):
    png, out = os.path.join(tmp, "f.png"), os.path.join(tmp, "view.json")
    mailsim("--render-step", str(step), "--out", png, "--message", host, "--dump-messages", out,
            "--size", "640x360", scenario)
    return json.loads(open(out, encoding="utf-8").read())


def main():
    lessons = sorted(glob.glob("scenarios/*.json"))
    if len(lessons) < 15:
        fail("expected the shipped lessons in scenarios/, found %d" % len(lessons))
    with tempfile.TemporaryDirectory() as tmp:
        for sc in lessons:
            _, recs = export(sc, tmp)
            composed = {r["msg"] for r in recs if r["kind"] == "MSG_COMPOSED"}
            for i, r in enumerate(recs):
                if r["step"] != i + 1:
                    fail("%s: record %d has step %d, the window shows it at step %d"
                         % (sc, i, r["step"], i + 1))
                if r["kind"].startswith("MSG_") and r["msg"] in composed and \
                        not r["message_id"].startswith("<"):
                    fail("%s: step %d (%s, message %d) has message_id %r"
                         % (sc, r["step"], r["kind"], r["msg"], r["message_id"]))
                if "reason" in r and r["reason"] not in REASONS:
                    fail("%s: step %d: reason %r is not a documented name" % (sc, r["step"], r["reason"]))
        print("ok %d lessons: steps, message ids and reasons" % len(lessons))

        sc = "scenarios/01-alice-to-bob.json"
        _, recs = export(sc, tmp)
        final = [r for r in recs if r["kind"] == "MSG_DELIVERED" and r["peer"] is None]
        if not final:
            fail("lesson 01: no final delivery")
        d = final[0]
        v = view_at(sc, tmp, d["step"], d["host"])
        if not v["found"] or v["events"][-1] != {"step": d["step"], "kind": "MSG_DELIVERED",
                                                  "host": d["host"]}:
            fail("lesson 01: --render-step %d at %s does not show the delivery as the latest "
                 "event: %r" % (d["step"], d["host"], v.get("events")))
        if v["message_id"] != d["message_id"]:
            fail("lesson 01: the view names %r, the record %r" % (v["message_id"], d["message_id"]))
        print("ok lesson 01: the export's step %d is the window's step of the delivery" % d["step"])

        pc = [r for r in recs if r["kind"] == "MAILBOX_CHANGED" and r["host"] == "bob-pc"
              and r["count"] > 0]
        if not pc:
            fail("lesson 01: Bob's PC never stores the message")
        v = view_at(sc, tmp, pc[0]["step"], "bob-pc")
        if not v["found"] or v.get("copy_host") != "bob-pc" or v["msg"] != 1:
            fail("lesson 01: the message view at bob-pc after POP3 stored the message: %r" % v)
        print("ok lesson 01: the view at bob-pc shows message 1 after POP3")

        for args, rc, words in (
                (["--message", "no-such-host"], 2, "--message no-such-host: no host of that name"),
                ([], 2, "--dump-messages with --render-step needs --message HOST")):
            r = subprocess.run([MAILSIM, "--render-step", "3", "--out", os.path.join(tmp, "g.png"),
                                "--dump-messages", os.path.join(tmp, "g.json"), *args, sc],
                               capture_output=True, text=True, timeout=300)
            if r.returncode != rc or words not in r.stderr:
                fail("--dump-messages %r: exit %d, %r" % (args, r.returncode, r.stderr[-300:]))
        print("ok --dump-messages refuses a missing or unknown host with exit status 2")

        eml = os.path.join(tmp, "latin1.eml")
        with open(eml, "wb") as f:
            f.write(b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n"
                    b"Subject: menu\r\nMessage-ID: <latin1@example.org>\r\n"
                    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
                    b"Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9 au lait\r\n")
        text, recs = export(sc, tmp, "--import-eml", eml)
        if "\\u00e9" in text:
            fail("the Latin-1 byte 0xE9 came out as the character U+00E9")
        lines = [r["line"].encode("utf-8", "surrogateescape") for r in recs
                 if r["kind"] == "LINE_SENT" and "line" in r]
        if b"caf\xe9 au lait\r\n" not in lines:
            fail("the line with the Latin-1 byte does not round-trip through surrogateescape")
        print("ok a Latin-1 byte is the surrogate U+DCE9 and round-trips")


main()
