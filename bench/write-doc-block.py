#!/usr/bin/env python3
"""Replaces what stands between <!-- NAME:begin --> and <!-- NAME:end --> in each DOC with FILE's text.

    bench/write-doc-block.py NAME FILE DOC...

The generated tables of bench/ (accuracy, preprocessing sweep, operating points) live in the docs
this way, so that a rerun of the script that measured them rewrites them and nothing else.
"""
import pathlib
import re
import sys

if len(sys.argv) < 4:
    sys.exit(__doc__)
name, block, docs = sys.argv[1], pathlib.Path(sys.argv[2]).read_text(), sys.argv[3:]
pattern = re.compile(rf"(<!-- {re.escape(name)}:begin -->\n).*?(<!-- {re.escape(name)}:end -->)", re.S)
for doc in map(pathlib.Path, docs):
    text = doc.read_text()
    if not pattern.search(text):
        sys.exit(f"{doc}: no <!-- {name}:begin --> ... <!-- {name}:end --> block to replace")
    doc.write_text(pattern.sub(lambda m: m.group(1) + block + m.group(2), text))
    print(f"    wrote {name} into {doc}", file=sys.stderr)
