#!/usr/bin/env python3
"""schema-ranges.py -- write the numeric ranges of the scenario loader into
docs/scenario.schema.json as regular expressions, so that an editor checking a
lesson against the schema refuses the same durations, sizes, bandwidths,
IMAP sequence numbers and dates as mailsim does.

The ranges below are the loader's (sim/scenario/ld.c, load.c,
load_timeline.c, scenario.h: SCN_MAX_TIME, SCN_MAX_ATTACH_BYTES, ...). JSON
Schema has no arithmetic, but each range over a finite grammar is a regular
language; this script builds the expressions. Durations are written in
canonical form (every unit after the first below its carry: "1h30m", not
"1h90m"), which the loader also requires; that is what makes "at most 366
days" expressible.

Usage: python3 scripts/schema-ranges.py          rewrite the schema's $defs
       python3 scripts/schema-ranges.py --check  exit 1 if they are stale
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(ROOT, "docs", "scenario.schema.json")

US = 1
MS = 1000
S = 1000 * MS
MIN = 60 * S
H = 60 * MIN
D = 24 * H
MAX_TIME = 366 * D                 # SCN_MAX_TIME
MAX_LATENCY = 1 * MIN              # links: 0 to 60 s
MAX_ATTACH = 16 * 1024 * 1024      # SCN_MAX_ATTACH_BYTES
MAX_SIZE_LIMIT = 1 << 32           # smtp.size_limit
MAX_UINT32 = 4294967295            # IMAP sequence numbers (RFC 3501 §9 nz-number)
MAX_SESSION_WAIT = 1 * D           # SCN_IMAP_MAX_WAIT, SCN_POP3_MAX_WAIT: "idle" or "wait" steps

# (unit, microseconds, carry: the largest value + 1 after a larger unit)
DUR_UNITS = [("d", D, None), ("h", H, 24), ("m(?!s)", MIN, 60), ("s", S, 60), ("ms", MS, 1000),
             ("us", US, 1000)]
SIZE_UNITS = [("B", 1), ("kB", 1000), ("KB", 1000), ("KiB", 1024), ("MB", 1000000),
              ("MiB", 1 << 20), ("GB", 1000000000), ("GiB", 1 << 30)]
BW_UNITS = [("bps", 1), ("kbps", 1000), ("Kbps", 1000), ("Mbps", 1000000), ("Gbps", 1000000000)]


def alt(parts):
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


def digit_range(lo, hi):
    if lo > hi:
        return None
    if lo == hi:
        return str(lo)
    if lo == 0 and hi == 9:
        return "[0-9]"
    return "[%d-%d]" % (lo, hi)


def fixed_le(width, n):
    """Strings of exactly width digits (leading zeros allowed) <= n."""
    if n < 0:
        return None
    if n >= 10 ** width - 1:
        return "[0-9]{%d}" % width if width > 1 else "[0-9]"
    s = str(n).rjust(width, "0")
    parts = []
    for i, c in enumerate(s):
        d = int(c)
        rest = width - i - 1
        if d > 0:
            lower = digit_range(0, d - 1)
            parts.append(s[:i] + lower + ("[0-9]{%d}" % rest if rest > 1 else "[0-9]" if rest else ""))
    parts.append(s)
    return alt(parts)


def le(n):
    """Decimal numbers 0..n, leading zeros allowed (as the loader reads them)."""
    if n < 0:
        return None
    s = str(n)
    parts = []
    for width in range(1, len(s)):
        parts.append("[1-9]" + ("[0-9]{%d}" % (width - 1) if width > 2 else "[0-9]" if width == 2 else "")
                     if width > 1 else "[0-9]")
    # same width as n, first digit 1.. (or 0 when n has one digit)
    if len(s) == 1:
        parts = [digit_range(0, n)]
    else:
        first = int(s[0])
        rest = len(s) - 1
        if first > 1:
            parts.append(digit_range(1, first - 1) + ("[0-9]{%d}" % rest if rest > 1 else "[0-9]"))
        tail = fixed_le(rest, int(s[1:]))
        parts.append(s[0] + tail)
    return "0*" + alt(parts)


def le_nonzero(n):
    """Decimal numbers 1..n without leading zeros."""
    s = str(n)
    parts = []
    for width in range(1, len(s)):
        parts.append("[1-9]" + ("[0-9]{%d}" % (width - 1) if width > 2 else "[0-9]" if width == 2 else ""))
    first = int(s[0])
    rest = len(s) - 1
    if rest == 0:
        return digit_range(1, first)
    if first > 1:
        parts.append(digit_range(1, first - 1) + ("[0-9]{%d}" % rest if rest > 1 else "[0-9]"))
    parts.append(s[0] + fixed_le(rest, int(s[1:])))
    return alt(parts)


def scaled_le(hi, units):
    """'<digits>[.<1-6 digits>]<unit>' whose value, as the loader computes it
    (integer part times the unit plus floor(fraction times the unit)), is at
    most hi."""
    out = []
    for name, m in units:
        imax, rem = divmod(hi, m)
        parts = []
        if imax >= 1:
            parts.append(le(imax - 1) + r"(?:\.[0-9]{1,6})?")
        fr = []
        for k in range(1, 7):
            fmax = min(10 ** k - 1, ((rem + 1) * 10 ** k - 1) // m)
            fr.append(fixed_le(k, fmax))
        fr_alt = alt(fr)
        parts.append("0*" + str(imax) + (r"(?:\." + fr_alt + ")?" if fr_alt else ""))
        out.append(alt(parts) + name)
    return alt(out)


def scaled(lo, hi, units):
    body = scaled_le(hi, units)
    if lo > 0:
        return "^(?!" + scaled_le(lo - 1, units) + "$)" + body + "$"
    return "^" + body + "$"


def dur_tail(j, bound):
    """The canonical tail from unit j on (each unit optional and below its
    carry) whose total is at most bound microseconds (None: no bound but the
    carries)."""
    if j >= len(DUR_UNITS):
        return ""
    name, u, carry = DUR_UNITS[j]
    if bound is None or bound >= u * carry - 1:
        return "(?:" + le(carry - 1) + name + ")?" + dur_tail(j + 1, None)
    v, r = divmod(bound, u)
    parts = []
    if v >= 1:
        parts.append(le(v - 1) + name + dur_tail(j + 1, None))
    parts.append("0*" + str(v) + name + dur_tail(j + 1, r))
    parts.append(dur_tail(j + 1, bound))
    return alt(parts)


def duration(lo, hi):
    """A canonical duration string of lo..hi microseconds (lo 0 or 1)."""
    parts = []
    for j, (name, u, _) in enumerate(DUR_UNITS):
        v, r = divmod(hi, u)
        if v >= 1:
            parts.append(le(v - 1) + name + dur_tail(j + 1, None))
        parts.append("0*" + str(v) + name + dur_tail(j + 1, r))
    head = "^(?=[0-9])"
    if lo > 0:
        head += "(?=.*[1-9])"
    return head + alt(parts) + "$"


def seqset():
    num = "(?:\\*|" + le_nonzero(MAX_UINT32) + ")"
    rng = num + "(?::" + num + ")?"
    return "^" + rng + "(?:," + rng + ")*$"


def epoch():
    year = "(?:19[7-9][0-9]|[2-9][0-9]{3})"
    md = ("(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
          "|02-(?:0[1-9]|1[0-9]|2[0-8]))")
    leap = ("(?:19(?:7[26]|8[048]|9[26])|[2-9][0-9](?:0[48]|[2468][048]|[13579][26])"
            "|(?:[2468][048]|[3579][26])00)-02-29")
    time = "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    tz = "(?:Z|[+-](?:0[0-9]|1[0-4]):[0-5][0-9])"
    return "^(?:" + year + "-" + md + "|" + leap + ")" + time + tz + "$"


def defs():
    dur_desc = ("A duration: digits and units in decreasing order, every unit after the first "
                "below its carry, e.g. \"250ms\", \"20s\", \"30m\", \"1h30m\", \"5d\".")
    size_desc = "Bytes, as a number or like \"150kB\", \"2MB\", \"10MiB\"."
    return {
        "duration": {"type": "string", "pattern": duration(0, MAX_TIME),
                     "description": dur_desc + " At most 366d."},
        "duration_positive": {"type": "string", "pattern": duration(1, MAX_TIME),
                              "description": dur_desc + " More than 0s, at most 366d."},
        "session_wait": {"type": "string", "pattern": duration(1, MAX_SESSION_WAIT),
                      "description": dur_desc + " More than 0s, at most 1d."},
        "latency": {"type": "string", "pattern": duration(0, MAX_LATENCY),
                    "description": dur_desc + " At most 1m."},
        "size": {"oneOf": [{"type": "integer", "minimum": 0, "maximum": MAX_ATTACH},
                           {"type": "string", "pattern": scaled(0, MAX_ATTACH, SIZE_UNITS)}],
                 "description": size_desc + " At most 16MiB."},
        "transfer_size": {"oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ATTACH},
                                    {"type": "string", "pattern": scaled(1, MAX_ATTACH, SIZE_UNITS)}],
                          "description": size_desc + " 1B to 16MiB."},
        "size_limit": {"oneOf": [{"type": "integer", "minimum": 0, "maximum": MAX_SIZE_LIMIT},
                                 {"type": "string", "pattern": scaled(0, MAX_SIZE_LIMIT, SIZE_UNITS)}],
                       "description": size_desc + " At most 4GiB."},
        "bandwidth": {"oneOf": [{"type": "integer", "minimum": 1000, "maximum": 100000000000},
                                {"type": "string", "pattern": scaled(1000, 100000000000, BW_UNITS)}],
                      "description": "Bits per second, as a number or like \"10Mbps\" "
                                     "(units bps, kbps or Kbps, Mbps, Gbps); 1kbps to 100Gbps."},
        "seqset": {"type": "string", "maxLength": 200, "pattern": seqset(),
                   "description": "An IMAP sequence set (RFC 3501 §9): 1, 2:4, 1:*, 1,3; "
                                  "numbers 1 to 4294967295."},
        "epoch": {"type": "string", "pattern": epoch(),
                  "description": "The date and time the lesson starts, e.g. "
                                 "\"2025-03-03T09:00:00Z\" or \"...+01:00\"; years 1970 to 9999."},
    }


def main():
    with open(SCHEMA, encoding="utf-8") as f:
        text = f.read()
    schema = json.loads(text)
    new = dict(schema)
    new["$defs"] = dict(schema["$defs"])
    new["$defs"].update(defs())
    out = json.dumps(new, indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv[1:]:
        if out != text:
            print("docs/scenario.schema.json is stale: run python3 scripts/schema-ranges.py")
            return 1
        print("docs/scenario.schema.json: ranges up to date")
        return 0
    with open(SCHEMA, "w", encoding="utf-8") as f:
        f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
