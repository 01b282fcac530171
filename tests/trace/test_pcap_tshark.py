"""The pcap export as Wireshark sees it.

For every shipped lesson: tshark reads the capture without an error and
finds no malformed packet, and lessons without loss or faults show no
out-of-order segment. For lesson 01: tshark decodes the SMTP commands, and
"follow tcp stream" of every connection equals, byte for byte, the protocol
lines the trace recorded for it (so the capture and the transcript agree).
For lesson 23 (STARTTLS): tshark decodes SMTP up to the 220 that starts TLS
and TLS application data after it; each stream is the recorded lines in
clear up to there, then TLS records of exactly the recorded length; neither
the password nor the message text is anywhere in the capture.
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


def check_starttls(tmp):
    pcap, jsonl = export("scenarios/23-starttls.json", tmp)
    cmds = tshark("-r", pcap, "-Y", "smtp.req", "-T", "fields", "-e", "smtp.req.command")
    # tshark's smtp.req.command holds the first four letters ("STAR")
    seen = {c[:4] for c in ",".join(cmds.split()).split(",")}
    if seen != {"EHLO", "STAR"}:
        fail("lesson 23: SMTP commands in clear should be EHLO and STARTTLS only, saw %s"
             % sorted(seen))
    apps = tshark("-r", pcap, "-Y", "tls.record.content_type == 23")
    if len(apps.splitlines()) < 10:
        fail("lesson 23: tshark shows no TLS application data:\n" + tshark("-r", pcap)[:3000])
    raw = open(pcap, "rb").read()
    for secret in (b"AGFsaWNlAGFsaWNlcGFzcw==", b"lunch at noon", b"MAIL FROM"):
        if secret in raw:
            fail("lesson 23: %r is in the capture in clear" % secret)
    # Each direction: the clear lines, then records 17 03 03 len that end
    # exactly where the recorded lines end.
    clear, total = {}, {}
    for line in open(jsonl, encoding="utf-8"):
        r = json.loads(line)
        if r["kind"] != "LINE_SENT":
            continue
        key = (r["conn"], r["side"])
        n = len(r["line"].encode("utf-8", "surrogateescape"))
        total[key] = total.get(key, 0) + n
        if "tls" not in r.get("flags", []):
            clear[key] = clear.get(key, 0) + n
    got = follow_streams(pcap)
    if len(got) != 2:
        fail("lesson 23: %d TCP streams, expected 2" % len(got))
    keys = sorted({k[0] for k in total})
    want_lens = sorted((total[(c, "C")], total[(c, "S")]) for c in keys)
    if sorted((len(a), len(b)) for a, b in got) != want_lens:
        fail("lesson 23: stream lengths %s differ from the recorded lines %s"
             % (sorted((len(a), len(b)) for a, b in got), want_lens))
    for a, b in got:
        for data in (a, b):
            c = next(clear[k] for k in clear if total[k] == len(data))
            if b"STARTTLS" not in data[:c] and b"Ready to start TLS" not in data[:c]:
                fail("lesson 23: the clear part does not end at STARTTLS: %r" % data[:c][-80:])
            i = c
            while i < len(data):
                if data[i:i + 3] != b"\x17\x03\x03" or i + 5 > len(data):
                    fail("lesson 23: no TLS record header at stream offset %d: %r"
                         % (i, data[i:i + 8]))
                i += 5 + int.from_bytes(data[i + 3:i + 5], "big")
            if i != len(data):
                fail("lesson 23: the last TLS record runs past the stream's end")
    print("ok lesson 23: SMTP in clear up to STARTTLS, then TLS records of the same length")
    # A 300 kB attachment (records cut at 16384 octets) over a lossy link
    # (retransmissions carry the same record bytes): still well-formed TLS.
    d = json.load(open("scenarios/23-starttls.json", encoding="utf-8"))
    d.pop("variants", None)
    send = next(a for a in d["timeline"] if a["action"] == "send")
    send["attachments"] = [{"name": "photo.jpg", "type": "image/jpeg", "size": 300000}]
    d["links"][0]["loss"] = 0.05
    big = os.path.join(tmp, "big-starttls.json")
    json.dump(d, open(big, "w", encoding="utf-8"))
    pcap, _ = export(big, tmp)
    bad = tshark("-r", pcap, "-Y", "_ws.malformed || _ws.expert.severity == error")
    if bad.strip():
        fail("big STARTTLS run: tshark reports malformed packets:\n" + bad[:2000])
    if not tshark("-r", pcap, "-Y", "tcp.analysis.retransmission").strip():
        fail("big STARTTLS run: no retransmission to check (the lossy link lost nothing)")
    for a, b in follow_streams(pcap):
        for data in (a, b):
            i = data.find(b"\x17\x03\x03")
            while 0 <= i < len(data):
                if data[i:i + 3] != b"\x17\x03\x03":
                    fail("big STARTTLS run: no TLS record header at offset %d" % i)
                n = int.from_bytes(data[i + 3:i + 5], "big")
                if n > 16384 + 5:
                    fail("big STARTTLS run: a record of %d octets" % n)
                i += 5 + n
    print("ok a 300 kB message inside TLS over a lossy link: well-formed records")


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
        check_starttls(tmp)
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
