#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Turns a file into a C source defining a byte array and its length, so the
# status page is part of the binary (the boot network may be offline and the
# server has no data folder of its own for it).
#   embed.py INPUT OUTPUT ARRAY_NAME
import sys

src, dst, name = sys.argv[1:4]
data = open(src, "rb").read()
with open(dst, "w") as out:
    out.write("/* Generated from %s by embed.py: do not edit. */\n" % src.split("/")[-1])
    out.write("#include <stddef.h>\n\n")
    out.write("extern const unsigned char %s[];\n" % name)
    out.write("extern const size_t %s_len;\n" % name)
    out.write("const unsigned char %s[] = {\n" % name)
    for i in range(0, len(data), 16):
        out.write("\t" + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
    out.write("\t0x00,\n};\n")
    out.write("const size_t %s_len = %d;\n" % (name, len(data)))
