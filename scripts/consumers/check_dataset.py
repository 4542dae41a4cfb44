#!/usr/bin/env python3
"""Check exported JSONL datasets the way a trainer reads them: through Hugging Face `datasets`.

  check_dataset.py --format FORMAT FILE.jsonl [--expect-rows N] [--expect-code]
  check_dataset.py --check FORMAT[:N][:code]=FILE [--check ...]    (many files, one start-up)

FORMAT: alpaca, sharegpt, openai, chatml, raw. Prints `ok FORMAT N rows` per good file, exit 0;
else one `FILE:LINE: problem` per problem (LINE = row number, 1-based), exit 1. Runs offline and
writes only to a temporary folder. Needs only `datasets`.
"""
import argparse, json, os, re, shutil, sys, tempfile

FENCE, S, I = "```", ("string", "large_string"), ("int64", "int32", "uint64", "uint32")
CHAT = {"sharegpt": ("conversations", "from", "value", "human", "gpt"),
        "openai": ("messages", "role", "content", "user", "assistant")}
SCHEMA = {"alpaca": dict(instruction=S, input=S, output=S), "chatml": dict(text=S),
          "sharegpt": dict(conversations=("[{from:string,value:string}]",)),
          "openai": dict(messages=("[{content:string,role:string}]",)),
          "raw": dict(question=S, answer=S, repo_url=S, commit=S, path=S, line_start=I,
                      line_end=I, model=S, prompt_version=S, settings_fingerprint=S,
                      quality_flags=S, grounding=("float64", "double"))}
BLOCK = re.compile(r"<\|im_start\|>(\w+)\n(.*?)<\|im_end\|>", re.S)
nonempty = lambda v: isinstance(v, str) and v.strip() != ""

def kind(f):  # datasets feature -> "string", "int64", "[string]", "{a:string,b:int64}", "json"
    if isinstance(f, dict):
        return "{" + ",".join(f"{k}:{kind(v)}" for k, v in sorted(f.items())) + "}"
    return f"[{kind(f.feature)}]" if hasattr(f, "feature") else getattr(f, "dtype", type(f).__name__.lower())

def diff(j, d, p="row"):  # first difference between json.loads value j and datasets value d
    if isinstance(j, dict) and isinstance(d, dict):
        for k in list(j) + [k for k in d if k not in j]:
            if k not in d:
                return f"{p}.{k}: dropped by datasets"
            r = diff(j[k], d[k], f"{p}.{k}") if k in j else (d[k] is not None and f"{p}.{k}: added")
            if r:
                return r
    elif isinstance(j, list) and isinstance(d, list) and len(j) == len(d):
        return next(filter(None, (diff(a, b, f"{p}[{i}]") for i, (a, b) in enumerate(zip(j, d)))), None)
    elif not (j == d and (type(j) is type(d) or type(j) is int and type(d) is float)):
        return f"{p}: datasets gives {d!r:.70}, json.loads gives {j!r:.70}"

def turns(col, rk, roles, contents, user, asst, code, bad):
    """Optional system first, then user/assistant alternating, starting user, ending assistant."""
    if not roles:
        return bad(f"{col}: no messages")
    first = 1 if roles[0] == "system" else 0
    for n, r in enumerate(roles[first:], first):
        if r != (user, asst)[(n - first) % 2]:
            return bad(f"{col}[{n}]: {rk} {r!r}, expected {(user, asst)[(n - first) % 2]!r} ({rk}s: {roles})")
    if roles[-1] != asst:
        bad(f"{col}: last {rk} must be {asst!r} ({rk}s: {roles})")
    for n, c in enumerate(contents):
        if not nonempty(c):
            bad(f"{col}[{n}]: content must be a non-empty string, got {c!r:.60}")
    if code and len(roles) > first and FENCE not in str(contents[first]):
        bad(f"{col}[{first}]: first {user!r} message has no ``` code fence")

def check_row(fmt, row, code, bad):
    g = row.get
    if fmt == "alpaca":
        for k in ("instruction", "input", "output"):
            if not isinstance(g(k), str) or (k != "input" and not g(k).strip()):
                bad(f"{k}: missing, empty or not a string ({g(k)!r:.60})")
        if code and FENCE not in str(g("input")):
            bad("input has no ``` code fence")
    elif fmt in CHAT:
        col, rk, ck, user, asst = CHAT[fmt]
        msgs = g(col)
        if not isinstance(msgs, list) or not all(isinstance(m, dict) for m in msgs):
            return bad(f"{col}: missing or not a list of objects ({msgs!r:.60})")
        turns(col, rk, [m.get(rk) for m in msgs], [m.get(ck) for m in msgs], user, asst, code, bad)
    elif fmt == "chatml":
        t = g("text")
        if not isinstance(t, str):
            return bad(f"text: missing or not a string ({t!r:.60})")
        if BLOCK.sub("", t).strip():  # also catches an <|im_start|> without <|im_end|> and vice versa
            bad(f"text: unmatched tag or text outside <|im_start|>ROLE\\n...<|im_end|>: {BLOCK.sub('', t).strip()!r:.60}")
        blocks = BLOCK.findall(t)
        turns("text", "role", [r for r, _ in blocks], [c for _, c in blocks], "user", "assistant", code, bad)
    else:  # raw
        for k in ("question", "answer", "repo_url", "commit", "path", "model", "prompt_version",
                  "settings_fingerprint"):
            if not nonempty(g(k)):
                bad(f"{k}: missing, empty or not a string ({g(k)!r:.60})")
        a, b = g("line_start"), g("line_end")
        if not all(type(x) is int for x in (a, b)) or not 1 <= a <= b:
            bad(f"line_start/line_end must be ints, 1 <= start <= end, got {a!r}, {b!r}")
        if not re.fullmatch(r"[0-9a-f]{40}([0-9a-f]{24})?", str(g("commit"))):
            bad(f"commit is not a full hex sha: {g('commit')!r:.60}")
        if not isinstance(g("quality_flags"), str):
            bad(f"quality_flags must be a comma-separated string, got {g('quality_flags')!r:.60}")
        if not isinstance(g("grounding"), float) or not (g("grounding") == -1 or 0 <= g("grounding") <= 1):
            bad(f"grounding must be a number in [0, 1] or -1, got {g('grounding')!r:.60}")

def check_file(datasets, fmt, path, rows, code, out):
    problems = []
    at = lambda n: lambda msg: problems.append(f"{path}:{n}: {msg}" if n else f"{path}: {msg}")
    try:
        with open(path, encoding="utf-8", newline="") as f:  # not splitlines(): JSON strings may hold U+2028
            lines = f.read().split("\n")
    except (OSError, UnicodeError) as e:
        return [f"{path}: cannot read: {e}"]
    parsed, linenos = [], []
    for n, s in enumerate(lines[:-1] if lines[-1] == "" else lines, 1):
        try:
            parsed.append(json.loads(s))
            linenos.append(n)
        except ValueError as e:
            at(n)(f"not valid JSON: {e}" if s.strip() else "blank line (datasets would skip it)")
    if parsed and not problems:
        try:
            ds = datasets.load_dataset("json", data_files=path, split="train")
        except Exception as e:  # what a trainer would hit; the cause says why
            why = e.__cause__ or e.__context__
            why = f" <- {type(why).__name__}: {why}" if why else ""
            return problems + [f"{path}: datasets.load_dataset failed: {type(e).__name__}: {e}{why}"[:500]]
        types = {c: kind(f) for c, f in ds.features.items()}
        if fmt == "raw":
            out.append(f"{path}: columns " + ", ".join(f"{c}={t}" for c, t in types.items()))
        for c, ok in SCHEMA[fmt].items():
            if types.get(c) not in ok:
                at(0)(f"column {c!r}: datasets type {types.get(c, 'missing')}, expected {' or '.join(ok)}")
        if len(ds) != len(parsed):  # e.g. a JSON parser fallback that split a row
            at(0)(f"datasets loaded {len(ds)} rows, json.loads {len(parsed)}")
        for n, j, d in zip(linenos, parsed, ds):
            if diff(j, d):
                at(n)(diff(j, d))
            check_row(fmt, d, code, at(n))
    if (rows is None and not parsed) or (rows is not None and rows != len(parsed)):
        at(0)(f"expected {'some' if rows is None else rows} rows, file has {len(parsed)}")
    if not problems:
        out.append(f"ok {fmt} {len(parsed)} rows")
    return problems

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--format", choices=SCHEMA)
    ap.add_argument("file", nargs="?")
    ap.add_argument("--expect-rows", type=int, metavar="N")
    ap.add_argument("--expect-code", action="store_true")
    ap.add_argument("--check", action="append", default=[], metavar="FORMAT[:N][:code]=FILE")
    a = ap.parse_args()
    jobs = [(a.format, a.file, a.expect_rows, a.expect_code)] if a.file and a.format else []
    for spec in a.check:
        left, _, path = spec.partition("=")
        fmt, *opts = left.split(":")
        if fmt not in SCHEMA or not path or not all(o == "code" or o.isdigit() for o in opts):
            ap.error(f"bad --check {spec!r}")
        jobs.append((fmt, path, next((int(o) for o in opts if o.isdigit()), None), "code" in opts))
    if not jobs or bool(a.file) != bool(a.format):
        ap.error("give --format FORMAT FILE and/or --check FORMAT=FILE")
    tmp = tempfile.mkdtemp(prefix="check_dataset-")
    os.environ.update(HF_HOME=f"{tmp}/hf", HF_DATASETS_CACHE=f"{tmp}/datasets", HF_HUB_OFFLINE="1",
                      HF_DATASETS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1", HF_DATASETS_DISABLE_PROGRESS_BARS="1")
    try:
        import datasets
        datasets.logging.set_verbosity_error()
        failed = 0
        for fmt, path, rows, code in jobs:
            out = []
            problems = check_file(datasets, fmt, path, rows, code, out)
            if len(jobs) > 1 and not problems:
                out[-1] += f" {path}"
            print("\n".join(out + problems[:50]))
            if len(problems) > 50:
                print(f"{path}: {len(problems)} problems in all")
            failed |= bool(problems)
        return failed
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    sys.exit(main())
