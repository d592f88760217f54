#!/usr/bin/env python3
"""Check that every store call's type string has one letter per '?' in its SQL.

store_query/store_exec/store_query_int (and case_tx_exec of the case module and the run wrapper of open311_db.c) bind parameters from
a type string; a miscount reads the wrong variadic argument. This catches the count; the
letters themselves are still the author's responsibility (tests and ASan catch those).
"""
import pathlib
import re
import sys

CALL = re.compile(r'\b(case_tx_exec|exec|run|store_query_int|store_query|store_exec)\(([^;]*?)\);', re.S)
STR = re.compile(r'"((?:[^"\\]|\\.)*)"')

bad = 0
for path in sorted(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src").rglob("*.c")):
    src = path.read_text()
    for m in CALL.finditer(src):
        sql, types = "", None
        for s in STR.findall(m.group(2)):
            if sql and re.fullmatch(r"[idrtbn]*", s):
                types = s
                break
            sql += s
        # Only literal SQL can be checked: skip SQL held in variables or spliced from macros.
        args = m.group(2)
        if types is None or not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\b", sql):
            continue
        head = args[: args.find('"' + types + '"')] if types else args
        if re.search(r'"\s*[A-Z][A-Z0-9_]{2,}\s*"', head) or re.search(r'"\s+[A-Z][A-Z0-9_]{2,}\s*$', head):
            continue
        if sql.count("?") != len(types):
            line = src[: m.start()].count("\n") + 1
            print(f"{path}:{line}: {sql.count('?')} placeholders but type string '{types}'")
            bad += 1
print("sql binds: ok" if not bad else f"sql binds: {bad} mismatch(es)")
sys.exit(1 if bad else 0)
