"""PNG files as a second, independent reader sees them: Python's zlib and
struct, following the PNG specification (W3C, Portable Network Graphics
Specification, 5.3 chunk layout, 11.2.2 IHDR, 10 and 9 compression and
filtering).

- the signature, IHDR first, IDAT chunks one after another, IEND last, and
  every chunk's CRC-32 right;
- IHDR: the size asked for, 8-bit RGBA, deflate, filter method 0, not
  interlaced; the IDAT data is one zlib stream (its Adler-32 is checked by
  zlib) with nothing after it, holding exactly one filter byte and 4 bytes a
  pixel per row;
- the same step gives the same pixels at the default level, at 0 (stored),
  at 9 (the small-file option) and through --export-frames (the threaded
  exporter), and smaller files at 9 than at the default."""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

BUILD = os.environ.get("MAILSIM_BUILD", "build")
MAILSIM = os.path.join(BUILD, "san", "mailsim")
if not os.path.exists(MAILSIM):
    MAILSIM = "./mailsim"
LESSON = "scenarios/01-alice-to-bob.json"
W, H = 640, 360


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def mailsim(*args):
    r = subprocess.run([MAILSIM, *args], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, SDL_VIDEODRIVER="dummy"))
    if r.returncode != 0:
        fail("mailsim %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr[-500:]))


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(kind, row, prev, bpp):
    """One scanline back to pixel bytes (the five filter types of 9.2)."""
    if kind == 0:
        return row
    out = bytearray(row)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (out[i] + a) & 0xFF
        elif kind == 2:
            out[i] = (out[i] + b) & 0xFF
        elif kind == 3:
            out[i] = (out[i] + (a + b) // 2) & 0xFF
        else:
            out[i] = (out[i] + paeth(a, b, c)) & 0xFF
    return bytes(out)


def read_png(path):
    """The RGBA bytes of path, checking everything on the way."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s: no PNG signature" % path)
    pos, chunks = 8, []
    while pos < len(data):
        if pos + 12 > len(data):
            fail("%s: a chunk is cut off at byte %d" % (path, pos))
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        if len(body) != n:
            fail("%s: chunk %r is cut off" % (path, kind))
        if zlib.crc32(kind + body) != crc:
            fail("%s: chunk %r at byte %d has a wrong CRC" % (path, kind, pos))
        chunks.append((kind, body))
        pos += 12 + n
    kinds = [k for k, _ in chunks]
    if kinds[0] != b"IHDR" or kinds[-1] != b"IEND" or chunks[-1][1] != b"":
        fail("%s: chunks %r: IHDR must come first and an empty IEND last" % (path, kinds))
    idat = [i for i, k in enumerate(kinds) if k == b"IDAT"]
    if not idat or idat != list(range(idat[0], idat[-1] + 1)):
        fail("%s: the IDAT chunks are missing or not consecutive: %r" % (path, kinds))
    w, h, depth, colour, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if (w, h, depth, colour, comp, filt, interlace) != (W, H, 8, 6, 0, 0, 0):
        fail("%s: IHDR %r, wanted %dx%d 8-bit RGBA, deflate, filter 0, not interlaced"
             % (path, (w, h, depth, colour, comp, filt, interlace), W, H))
    z = zlib.decompressobj()
    raw = z.decompress(b"".join(chunks[i][1] for i in idat)) + z.flush()
    if not z.eof or z.unused_data:
        fail("%s: the zlib stream is unfinished or followed by other bytes" % path)
    stride = w * 4 + 1
    if len(raw) != h * stride:
        fail("%s: %d bytes of rows, wanted %d" % (path, len(raw), h * stride))
    out, prev = [], bytes(w * 4)
    for y in range(h):
        kind = raw[y * stride]
        if kind > 4:
            fail("%s: row %d has filter type %d" % (path, y, kind))
        prev = unfilter(kind, raw[y * stride + 1:(y + 1) * stride], prev, 4)
        out.append(prev)
    return b"".join(out)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        size = "%dx%d" % (W, H)
        files = {}
        for level in (None, 0, 9):
            path = os.path.join(tmp, "level-%s.png" % level)
            extra = [] if level is None else ["--png-level", str(level)]
            mailsim("--render-step", "7", "--out", path, "--size", size, *extra, LESSON)
            files[level] = path
        frames = os.path.join(tmp, "frames")
        mailsim("--export-frames", frames, "--steps", "5-9", "--size", size, LESSON)
        names = sorted(os.listdir(frames))
        want = ["step-%06d.png" % k for k in range(5, 10)]
        if names != want:
            fail("--export-frames --steps 5-9 wrote %r, wanted %r" % (names, want))
        pixels = {k: read_png(p) for k, p in files.items()}
        exported = {k: read_png(os.path.join(frames, "step-%06d.png" % k)) for k in range(5, 10)}
        if pixels[0] != pixels[None] or pixels[9] != pixels[None]:
            fail("step 7 has other pixels at --png-level 0 or 9 than at the default")
        if exported[7] != pixels[None]:
            fail("--export-frames step 7 differs from --render-step 7")
        if len(set(exported.values())) < 2:
            fail("steps 5 to 9 were exported as one and the same picture")
        if os.path.getsize(files[9]) >= os.path.getsize(files[None]):
            fail("--png-level 9 (%d bytes) is not smaller than the default (%d bytes)"
                 % (os.path.getsize(files[9]), os.path.getsize(files[None])))
    print("PASS: %d PNG files read with zlib and struct" % (len(files) + len(names)))


if __name__ == "__main__":
    main()
