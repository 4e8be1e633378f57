#!/usr/bin/env python3
"""Fill empty msgstr entries of a .po file from a JSON dict {msgid: translation}.

Usage: scripts/po_fill.py path/to/django.po translations.json
Only single-line msgids are handled (all of ours are). Existing translations win.
Also clears the "fuzzy" flag that makemessages adds to guessed entries.
"""

import json
import re
import sys


def main(po_path: str, json_path: str) -> None:
    with open(json_path, encoding="utf-8") as f:
        table = json.load(f)
    with open(po_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out, missing = [], []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r'^msgid "(.*)"$', line)
        if m and i + 1 < len(lines) and lines[i + 1] == 'msgstr ""' and m.group(1):
            msgid = m.group(1).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
            if out and out[-1].startswith("#, fuzzy"):
                out.pop()
            out.append(line)
            if msgid in table:
                out.append('msgstr "%s"' % table[msgid].replace("\\", "\\\\").replace('"', '\\"'))
            else:
                out.append(lines[i + 1])
                missing.append(msgid)
            i += 2
            continue
        out.append(line)
        i += 1
    with open(po_path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    for msgid in missing:
        print("untranslated:", msgid)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
