#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""doc/settings-man.py: the settings of each plugin in
doc/probe-agent.conf.5, generated from the plugin's settings table in
plugins/<name>/*.c (a maintainer's tool; the build does not run it).

  doc/settings-man.py TOP_SRCDIR PLUGIN      print one plugin's settings as roff
  doc/settings-man.py --update TOP_SRCDIR    rewrite, in TOP_SRCDIR/doc/probe-agent.conf.5,
                                             every block between
                                             .\\" BEGIN settings NAME and .\\" END settings NAME
                                             whose plugin has a table in the tree

tests/integration/ops-manpages.sh fails when the page and the tables list
different keys; run --update after changing a table.
"""
import glob
import os
import re
import sys

TYPES = {"STRING": "string", "INT": "integer", "NUMBER": "number", "BOOL": "boolean",
         "DURATION": "duration", "LIST": "list", "OBJECT": "object", "ANY": "any"}
CSTR = r'"(?:[^"\\]|\\.)*"'
ENTRY = re.compile(r'\{\s*"([a-z0-9_]+)"\s*,\s*PROBE_SET_([A-Z]+)\s*,\s*(NULL|' + CSTR +
                   r')\s*,\s*([^,]+?)\s*,\s*((?:' + CSTR + r'\s*)+|NULL)\s*\}', re.S)


def cstr(s):
    """The value of one or more adjacent C string literals."""
    out = ""
    for lit in re.findall(CSTR, s):
        out += bytes(lit[1:-1], "utf-8").decode("unicode_escape")
    return out


def roff(s):
    return s.replace("\\", "\\e").replace("-", "\\-")


def shared_rows(top):
    """Macros of plugins/common/*.h that stand for settings rows (e.g.
    PLEDGER_SOURCE_SETTINGS), by name: their bodies."""
    rows = {}
    for f in sorted(glob.glob(os.path.join(top, "plugins", "common", "*.h"))):
        with open(f, encoding="utf-8") as fh:
            text = fh.read().replace("\\\n", " ")
        for name, body in re.findall(r'^#define\s+([A-Z0-9_]+)\s+(.*)$', text, re.M):
            if "PROBE_SET_" in body:
                rows[name] = body
    return rows


def settings_roff(top, plugin):
    """The roff lines of one plugin's settings, or None without a table."""
    src = ""
    for f in sorted(glob.glob(os.path.join(top, "plugins", plugin, "*.c"))):
        with open(f, encoding="utf-8") as fh:
            src += fh.read()
    for name, body in shared_rows(top).items():
        src = re.sub(r'\b%s\b' % name, lambda m: body, src)
    entries = ENTRY.findall(src)
    if not entries:
        return None
    out = []
    for key, typ, default, flags, help_ in entries:
        bits = [TYPES.get(typ, typ.lower())]
        if "REQUIRED" in flags:
            bits.append("required")
        if default != "NULL":
            bits.append("default \\fB%s\\fR" % roff(cstr(default)))
        if "SETTING_FILE" in flags:
            bits.append("a readable file")
        if "SECRET" in flags:
            bits.append("secret")
        text = roff(cstr(help_) if help_ != "NULL" else "").strip() or "(undocumented)"
        out += [".TP", "\\fB%s\\fR (%s)" % (key, ", ".join(bits)),
                ("\\&" + text) if text[0] in ".'" else text]
    return out


def update(top):
    page = os.path.join(top, "doc", "probe-agent.conf.5")
    with open(page, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    out, i, changed = [], 0, []
    while i < len(lines):
        m = re.match(r'^\.\\" BEGIN settings ([a-z0-9_-]+)$', lines[i])
        if not m:
            out.append(lines[i]); i += 1; continue
        name = m.group(1)
        end = lines.index('.\\" END settings %s' % name, i)
        gen = settings_roff(top, name)
        out.append(lines[i])
        if gen is None:
            out += lines[i + 1:end]
        else:
            out += gen
            if gen != lines[i + 1:end]:
                changed.append(name)
        out.append(lines[end])
        i = end + 1
    with open(page, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out))
    print("updated: %s" % (", ".join(changed) or "nothing"))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--update":
        update(sys.argv[2])
    elif len(sys.argv) == 3:
        gen = settings_roff(sys.argv[1], sys.argv[2])
        if gen is None:
            sys.exit("no settings table in plugins/%s" % sys.argv[2])
        print("\n".join(gen))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
