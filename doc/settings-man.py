#!/usr/bin/env python3
"""doc/settings-man.py: prints the roff of one plugin's settings, read from
the settings table in plugins/<name>/*.c, for pasting into
doc/probe-agent.conf.5 when a plugin's table changes (a maintainer's tool;
the build does not run it). tests/integration/ops-manpages.sh checks that
the page and the tables list the same keys.

Usage: doc/settings-man.py TOP_SRCDIR PLUGIN
"""
import glob
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


def main():
    top, plugin = sys.argv[1], sys.argv[2]
    src = ""
    for f in sorted(glob.glob("%s/plugins/%s/*.c" % (top, plugin))):
        src += open(f, encoding="utf-8").read()
    for key, typ, default, flags, help_ in ENTRY.findall(src):
        bits = [TYPES.get(typ, typ.lower())]
        if "REQUIRED" in flags:
            bits.append("required")
        if default != "NULL":
            bits.append("default \\fB%s\\fR" % roff(cstr(default)))
        if "SECRET" in flags:
            bits.append("secret")
        print(".TP")
        print("\\fB%s\\fR (%s)" % (key, ", ".join(bits)))
        text = roff(cstr(help_) if help_ != "NULL" else "").strip() or "(undocumented)"
        print(("\\&" + text) if text[0] in ".'" else text)


if __name__ == "__main__":
    main()
