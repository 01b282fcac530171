"""The message view's MIME outline against Python's email package.

For every shipped lesson and the scenarios in tests/trace/scenarios/ (a
folded attachment header, an RFC 2231 file name, a line over 998 octets,
which must travel quoted-printable and decode to the scenario's body):
mailsim --dump-messages writes what the message view shows for each copy of
a message a host takes; the same message is rebuilt from the wire (the SMTP
DATA lines and POP3 RETR replies of --export-jsonl, dot-unstuffed) and
parsed by Python's email package. Every part must agree: content type, file
name, transfer encoding, decoded size and the first decoded bytes. The view
must name the copy's Message-ID, and every message that travelled must be
shown somewhere."""
import email
import email.policy
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
PREVIEW = 48


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(scenario, tmp):
    base = os.path.join(tmp, os.path.basename(scenario)[:-5])
    r = subprocess.run([MAILSIM, "--export-jsonl", base + ".jsonl", scenario],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        fail("%s: mailsim --export-jsonl exited %d: %s" % (scenario, r.returncode, r.stderr[-500:]))
    r = subprocess.run([MAILSIM, "--dump-messages", base + ".msgs", scenario],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        fail("%s: mailsim --dump-messages exited %d: %s" % (scenario, r.returncode, r.stderr[-500:]))
    records = [json.loads(l) for l in open(base + ".jsonl", encoding="utf-8")]
    views = [json.loads(l) for l in open(base + ".msgs", encoding="utf-8")]
    return records, views


def wire_messages(records):
    """Message bytes as they crossed the wire: SMTP DATA and POP3 RETR."""
    out = []
    conns = {}
    for r in records:
        if r["kind"] != "LINE_SENT":
            continue
        line = r["line"].encode("utf-8", "surrogateescape")
        st = conns.setdefault(r["conn"], {"mode": None, "buf": bytearray()})
        if r["proto"] == "SMTP" and r["side"] == "C":
            if st["mode"] == "data":
                if line == b".\r\n":
                    out.append(bytes(st["buf"]))
                    st["mode"] = None
                else:
                    st["buf"] += line[1:] if line.startswith(b"..") else line
            elif line.upper() == b"DATA\r\n":
                st["mode"], st["buf"] = "data", bytearray()
        elif r["proto"] == "POP3":
            if r["side"] == "C":
                st["mode"] = "retr" if line.upper().startswith(b"RETR ") else None
            elif st["mode"] == "retr":
                st["mode"], st["buf"] = "retr-body", bytearray()  # the +OK line
            elif st["mode"] == "retr-body":
                if line == b".\r\n":
                    out.append(bytes(st["buf"]))
                    st["mode"] = None
                else:
                    st["buf"] += line[1:] if line.startswith(b"..") else line
    return out


def lenient(raw):
    """raw as a server that takes a bare LF for a line end reads it: lines
    end at LF (CR before it dropped), the data at the first "." line."""
    out = []
    for line in raw.split(b"\n"):
        line = line[:-1] if line.endswith(b"\r") else line
        if line == b".":
            break
        out.append(line[1:] if line.startswith(b"..") else line)
    return b"\r\n".join(out)


def outline(raw):
    """[(type, filename, cte, decoded size, first bytes)] in depth-first order."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []

    def walk(p):
        # message/delivery-status (RFC 3464) is one body of field groups:
        # Python lists the groups as sub-messages, MIME has no parts there.
        yield p
        if p.is_multipart() and p.get_content_type() != "message/delivery-status":
            for sub in p.get_payload():
                yield from walk(sub)

    for p in walk(msg):
        cte = str(p.get("Content-Transfer-Encoding", "7bit")).strip().lower()
        if p.is_multipart() or p.get_content_maintype() == "message":
            body = None
        else:
            body = p.get_payload(decode=True)
        parts.append((p.get_content_type(), p.get_filename(), cte,
                      None if body is None else len(body),
                      None if body is None else body[:PREVIEW].hex()))
    return msg, parts


def check(scenario, tmp):
    records, views = run(scenario, tmp)
    wire = {}
    for raw in wire_messages(records):
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        wire.setdefault(str(msg.get("Message-ID", "")).strip(), []).append(raw)
    compared = 0
    shown = set()
    for v in views:
        if not v["found"]:
            fail("%s: the view at %s (step %d) shows no message right after a copy was taken"
                 % (scenario, v["host"], v["step"]))
        if not v.get("parts"):
            fail("%s: the view of message %d at %s has no MIME tree" % (scenario, v["msg"], v["host"]))
        mid = v["message_id"]
        hdr = email.message_from_string(v["header"], policy=email.policy.default)
        if hdr.get("Message-ID") is None and mid is None:
            continue  # a message without the field (smuggled in): nothing to match it by
        if not mid or not mid.startswith("<"):
            fail("%s: the view of message %d at %s names no Message-ID" % (scenario, v["msg"], v["host"]))
        shown.add(mid)
        if str(hdr.get("Message-ID", "")).strip() != mid:
            fail("%s: the view's header of message %d has Message-ID %r, the title %r"
                 % (scenario, v["msg"], hdr.get("Message-ID"), mid))
        if mid not in wire:
            continue  # composed but never sent (not sent, or still queued)
        # What a strict server read, or what a lenient one (bare LF as a line
        # end, RFC 5321 §2.3.8 says not to) read: SMTP smuggling's two views.
        wants = [outline(raw)[1] for raw in wire[mid]] + \
                [outline(lenient(raw))[1] for raw in wire[mid]]
        got = []
        for p in v["parts"]:
            leaf = not (p["type"].startswith("multipart/") or p["type"].startswith("message/"))
            got.append((p["type"], p["filename"], p["cte"],
                        p["decoded_len"] if leaf else None,
                        p["preview_hex"] if leaf else None))
        if got not in wants:
            want = wants[0]
            fail("%s: message %d at %s (step %d): the view's MIME outline differs from Python's "
                 "email package:\n view:   %r\n python: %r" % (scenario, v["msg"], v["host"],
                                                               v["step"], got, want))
        compared += 1
    for mid in wire:
        if mid and mid not in shown:
            fail("%s: message %s crossed the wire but no message view shows it" % (scenario, mid))
    if wire and compared == 0:
        fail("%s: nothing compared" % scenario)
    print("ok %s: %d views, %d compared with the email package" % (scenario, len(views), compared))
    return records, views


def main():
    scenarios = sorted(glob.glob("scenarios/*.json")) + sorted(glob.glob("tests/trace/scenarios/*.json"))
    if len(scenarios) < 16:
        fail("expected the shipped lessons and tests/trace/scenarios, found %d files" % len(scenarios))
    with tempfile.TemporaryDirectory() as tmp:
        for sc in scenarios:
            records, _ = check(sc, tmp)
            if sc.endswith("long-line.json"):
                # Quoted-printable (RFC 2045 §6.7) brings the long line back whole.
                body = [a for a in json.load(open(sc))["timeline"] if a.get("action") == "send"][0]["body"]
                want = body.replace("\n", "\r\n").encode()
                for raw in wire_messages(records):
                    msg = email.message_from_bytes(raw, policy=email.policy.default)
                    if msg.get_payload(decode=True) != want:
                        fail("%s: the quoted-printable body does not decode to the scenario's body" % sc)
                    if max(len(l) for l in raw.split(b"\r\n")) > 998:
                        fail("%s: a line over 998 octets went on the wire" % sc)
                print("ok %s: the body travels quoted-printable and decodes whole" % sc)


main()
