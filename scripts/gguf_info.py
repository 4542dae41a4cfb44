#!/usr/bin/env python3
"""gguf_info.py — prints the scalar metadata of a GGUF file (version 2 or 3) and checks its name.

    gguf_info.py FILE                       prints "key = value" for every scalar key
    gguf_info.py --expect-name NAME [--expect-file-type N] FILE
        also exits 1 unless general.name, or general.basename-size_label-finetune, starts with NAME
        (case-insensitive, '-', '_' and ' ' alike: a converter's suffix such as "AWQ", the format
        of the weights it was converted from, is accepted), or general.file_type is not N
        (llama.cpp's numbering: 3 = Q4_1, 15 = Q4_K_M)

Reads only the header (the key/value section; arrays such as the tokenizer's vocabulary are
skipped, not printed). Used by scripts/setup.sh to check that a downloaded model is the one pinned.
Exit codes: 0 ok, 1 the name does not match, 2 not a GGUF file or a malformed header.
"""
import argparse
import re
import struct
import sys

MAGIC = b"GGUF"
# value type -> struct format of one scalar (8 = string, 9 = array are handled apart)
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
           11: "<q", 12: "<d"}
STRING, ARRAY = 8, 9
MAX_KEYS = 1 << 16
MAX_STRING = 1 << 24


class GgufError(Exception):
    pass


def _read(f, n):
    data = f.read(n)
    if len(data) != n:
        raise GgufError("the file ends inside its header")
    return data


def _unpack(f, fmt):
    return struct.unpack(fmt, _read(f, struct.calcsize(fmt)))[0]


def _string(f):
    n = _unpack(f, "<Q")
    if n > MAX_STRING:
        raise GgufError(f"a string of {n} bytes in the header")
    return _read(f, n).decode("utf-8", errors="replace")


def _value(f, kind):
    if kind in SCALARS:
        return _unpack(f, SCALARS[kind])
    if kind == STRING:
        return _string(f)
    if kind == ARRAY:
        item, count = _unpack(f, "<I"), _unpack(f, "<Q")
        if item in SCALARS:
            f.seek(struct.calcsize(SCALARS[item]) * count, 1)
        elif item == STRING:
            for _ in range(count):
                f.seek(_unpack(f, "<Q"), 1)
        else:
            raise GgufError(f"an array of type {item}")
        return None  # arrays are skipped
    raise GgufError(f"unknown value type {kind}")


def read_metadata(path):
    """The header's scalar key/values as a dict (arrays left out), with 'gguf.version'."""
    with open(path, "rb") as f:
        if _read(f, 4) != MAGIC:
            raise GgufError("not a GGUF file (no GGUF magic)")
        version = _unpack(f, "<I")
        if version not in (2, 3):
            raise GgufError(f"GGUF version {version} (2 or 3 expected)")
        _unpack(f, "<Q")  # tensor count
        keys = _unpack(f, "<Q")
        if keys > MAX_KEYS:
            raise GgufError(f"{keys} metadata keys")
        meta = {"gguf.version": version}
        for _ in range(keys):
            key = _string(f)
            value = _value(f, _unpack(f, "<I"))
            if value is not None:
                meta[key] = value
        return meta


def _norm(text):
    return re.sub(r"[-_ ]+", "-", str(text)).strip("-").lower()


def names(meta):
    """The names the metadata gives the model: general.name, and basename-finetune-size forms."""
    found = []
    if "general.name" in meta:
        found.append(meta["general.name"])
    base = meta.get("general.basename")
    if base:
        size, tune = meta.get("general.size_label"), meta.get("general.finetune")
        found.append("-".join(str(p) for p in (base, size, tune) if p))
    return found


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect-name")
    parser.add_argument("--expect-file-type", type=int)
    parser.add_argument("file")
    args = parser.parse_args(argv)
    try:
        meta = read_metadata(args.file)
    except (OSError, GgufError) as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return 2
    for key in sorted(meta):
        value = meta[key]
        if isinstance(value, str) and ("\n" in value or len(value) > 200):
            value = f"<{len(value)} characters>"
        print(f"{key} = {value}")
    if args.expect_name:
        want = _norm(args.expect_name)
        if not any(_norm(n) == want or _norm(n).startswith(want + "-") for n in names(meta)):
            print(f"{args.file}: the metadata names {names(meta) or 'no model'}, "
                  f"not {args.expect_name}", file=sys.stderr)
            return 1
    if args.expect_file_type is not None and meta.get("general.file_type") != args.expect_file_type:
        print(f"{args.file}: general.file_type is {meta.get('general.file_type')}, "
              f"not {args.expect_file_type}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
