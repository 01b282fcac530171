#!/bin/sh
# Assemble the browser build's static folder (make web):
#   OUT/index.html, page.js, page.css    the page (web/)
#   OUT/mailsim.js, mailsim.wasm         the program (emcc, already there)
#   OUT/lessons/*.json, lessons.json     every shipped lesson, and the picker's
#                                        list (file, title, description, variants)
#   OUT/fonts/*.ttf, LICENSE.dejavu      the bundled fonts (assets/fonts)
#   OUT/sw.js                            the offline cache: every file above,
#                                        under a name made of their hash
#   sh scripts/web-page.sh OUT
set -eu
out=${1:?usage: web-page.sh OUT}
[ -f "$out/mailsim.js" ] && [ -f "$out/mailsim.wasm" ] || {
    echo "web-page: $out/mailsim.js or mailsim.wasm is missing (run make web)" >&2; exit 1; }
mkdir -p "$out/lessons" "$out/fonts"
rm -f "$out"/lessons/*.json
cp web/index.html web/page.js web/page.css "$out/"
cp scenarios/*.json "$out/lessons/"
cp assets/fonts/*.ttf assets/fonts/LICENSE.dejavu "$out/fonts/"
python3 - "$out" <<'EOF'
import hashlib, json, os, re, sys
out = sys.argv[1]
lessons = []
for name in sorted(os.listdir(os.path.join(out, "lessons"))):
    if not name.endswith(".json") or name == "index.json":
        continue
    with open(os.path.join(out, "lessons", name), encoding="utf-8") as f:
        s = json.load(f)
    desc = s.get("description", "")
    # One line for the picker: the first sentence ("section 4.5.4.1" is not an end).
    m = re.match(r"(.*?[a-z0-9)\]][.?!])(\s+[A-Z(]|$)", desc, re.S)
    first = m.group(1) if m else desc
    lessons.append({
        "file": name,
        "id": name.split("-")[0],
        "title": s.get("title", name),
        "line": first,
        "description": desc,
        "variants": [v.get("name", "") for v in s.get("variants", [])],
    })
with open(os.path.join(out, "lessons.json"), "w", encoding="utf-8") as f:
    json.dump(lessons, f, ensure_ascii=False, indent=1)
    f.write("\n")
files = ["./", "index.html", "page.js", "page.css", "mailsim.js", "mailsim.wasm",
         "lessons.json"] + ["lessons/" + l["file"] for l in lessons] + \
        ["fonts/" + n for n in sorted(os.listdir(os.path.join(out, "fonts")))]
h = hashlib.sha256()
for name in files[1:]:
    with open(os.path.join(out, name), "rb") as f:
        h.update(name.encode() + b"\0" + f.read())
with open("web/sw.js", encoding="utf-8") as f:
    sw = f.read()
sw = sw.replace("@CACHE@", "mailsim-" + h.hexdigest()[:16])
sw = sw.replace("@FILES@", json.dumps(files))
with open(os.path.join(out, "sw.js"), "w", encoding="utf-8") as f:
    f.write(sw)
print("  PAGE   %s (%d lessons, %d files)" % (out, len(lessons), len(files)))
EOF
