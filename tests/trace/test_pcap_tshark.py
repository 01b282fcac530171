"""The pcap export as Wireshark sees it.

For every shipped lesson: tshark reads the capture without an error and
finds no malformed packet, and lessons without loss or faults show no
out-of-order segment. For lesson 01: tshark decodes the SMTP commands, and
"follow tcp stream" of every connection equals, byte for byte, the protocol
lines the trace recorded for it (so the capture and the transcript agree).
Skips only when tshark is missing and CI is not set."""
import email.utils
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

BUILD = os.environ.get("MAILSIM_BUILD", "build")
MAILSIM = os.path.join(BUILD, "san", "mailsim")
if not os.path.exists(MAILSIM):
    MAILSIM = "./mailsim"


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def tshark(*args):
    r = subprocess.run(["tshark", *args], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("tshark %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr[-500:]))
    return r.stdout


def export(scenario, tmp):
    base = os.path.join(tmp, os.path.basename(scenario)[:-5])
    r = subprocess.run([MAILSIM, "--pcap", base + ".pcap", "--export-jsonl", base + ".jsonl",
                        scenario], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        fail("%s: mailsim exited %d: %s" % (scenario, r.returncode, r.stderr[-500:]))
    return base + ".pcap", base + ".jsonl"


def has_faults(scenario):
    s = json.load(open(scenario))
    if any(float(l.get("loss", 0)) > 0 for l in s.get("links", [])):
        return True
    kinds = {a.get("action") or a.get("type") or a.get("do") for a in s.get("timeline", [])}
    return bool(kinds & {"host_down", "link_down"})


def follow_streams(pcap):
    """{(client bytes, server bytes)} per TCP stream, as tshark follows them."""
    convs = tshark("-r", pcap, "-q", "-z", "conv,tcp")
    n = sum(1 for line in convs.splitlines() if "<->" in line)
    streams = []
    for i in range(n):
        out = tshark("-r", pcap, "-q", "-z", "follow,tcp,raw,%d" % i)
        a, b = bytearray(), bytearray()
        started = False
        for line in out.splitlines():
            if line.startswith("Node 1:"):
                started = True
                continue
            if not started or line.startswith("====") or not line.strip():
                continue
            if line.startswith("\t"):
                b += bytes.fromhex(line.strip())
            else:
                a += bytes.fromhex(line.strip())
        streams.append((bytes(a), bytes(b)))
    return sorted(streams)


def trace_streams(jsonl):
    """{(client bytes, server bytes)} per connection, from the recorded lines."""
    conns = {}
    for line in open(jsonl, encoding="utf-8"):
        r = json.loads(line)
        if r["kind"] != "LINE_SENT":
            continue
        c = conns.setdefault(r["conn"], [bytearray(), bytearray()])
        # Bytes that are not UTF-8 come as PEP 383 surrogates (docs/exports.md).
        data = r["line"].encode("utf-8", "surrogateescape")
        c[0 if r["side"] == "C" else 1] += data
    return sorted((bytes(a), bytes(b)) for a, b in conns.values())


def main():
    if not shutil.which("tshark"):
        fail("tshark is not installed (make deps-test installs it)")
    scenarios = sorted(glob.glob("scenarios/*.json"))
    if len(scenarios) < 7:
        fail("expected the shipped lessons in scenarios/, found %d" % len(scenarios))
    with tempfile.TemporaryDirectory() as tmp:
        for sc in scenarios:
            pcap, jsonl = export(sc, tmp)
            frames = tshark("-r", pcap)
            if not frames.strip():
                fail("%s: the capture is empty" % sc)
            bad = tshark("-r", pcap, "-Y", "_ws.malformed || _ws.expert.severity == error")
            if bad.strip():
                fail("%s: tshark reports malformed or erroneous packets:\n%s" % (sc, bad[:2000]))
            if not has_faults(sc):
                ooo = tshark("-r", pcap, "-Y", "tcp.analysis.out_of_order || tcp.analysis.lost_segment")
                if ooo.strip():
                    fail("%s: out-of-order or lost segments without loss or faults:\n%s" % (sc, ooo[:2000]))
            print("ok %s: %d frames" % (sc, len(frames.splitlines())))
        pcap, jsonl = export("scenarios/01-alice-to-bob.json", tmp)
        cmds = tshark("-r", pcap, "-Y", "smtp.req", "-T", "fields", "-e", "smtp.req.command")
        seen = set(",".join(cmds.split()).split(","))
        for want in ("EHLO", "MAIL", "RCPT", "DATA", "QUIT"):
            if want not in seen:
                fail("lesson 01: tshark did not decode the SMTP command %s (saw %s)" % (want, sorted(seen)))
        got, expected = follow_streams(pcap), trace_streams(jsonl)
        if len(got) != len(expected):
            fail("lesson 01: %d TCP streams in the capture, %d connections with lines in the trace"
                 % (len(got), len(expected)))
        for g, e in zip(got, expected):
            if g != e:
                fail("lesson 01: a followed TCP stream differs from the recorded lines:\n%r\n%r"
                     % (g[0][:200] + g[1][:200], e[0][:200] + e[1][:200]))
        print("ok lesson 01: %d streams equal the transcript, SMTP decoded" % len(got))
        # The capture's clock is the messages' clock: the frame that carries
        # a Date: field was sent within a minute after that date.
        for sc in ("scenarios/01-alice-to-bob.json", "scenarios/04-server-gone-a-week.json"):
            pcap, jsonl = export(sc, tmp)
            rows = tshark("-r", pcap, "-Y", "tcp.len > 0", "-T", "fields", "-e", "frame.time_epoch",
                          "-e", "tcp.payload")
            dated = 0
            for row in rows.splitlines():
                t, _, payload = row.partition("\t")
                data = bytes.fromhex(payload.replace(":", ""))
                for line in data.split(b"\r\n"):
                    if line.startswith(b"Date: "):
                        d = email.utils.parsedate_to_datetime(line[6:].decode()).timestamp()
                        if not d <= float(t) < d + 60:
                            fail("%s: a frame at %s carries %s" % (sc, t, line.decode()))
                        dated += 1
            if dated == 0:
                fail("%s: no frame carries a Date: field" % sc)
            print("ok %s: %d Date: fields agree with the capture's timestamps" % (sc, dated))


main()
