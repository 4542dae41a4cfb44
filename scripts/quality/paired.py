#!/usr/bin/env python3
"""A paired blind reading of two or more runs of git2dataset that asked the same questions.

Each run is given as LABEL=PATH, PATH a raw export (`git2dataset export --format raw`). The
questions that every run asked about the same file (same path, same question text) are the pairs
to compare: the question is the same, so only the answers differ. `--count` of them are drawn with
`--seed`; for each, the runs' answers are shown under letters (X, Y, Z, ...) in an order drawn per
question, so a reader cannot tell which run wrote which. Writes `reading-paired.md` (for the
readers) and `reading-paired-key.json` (which letter was which run, per question: not for the
readers) into --out.

  scripts/quality/paired.py --out DIR [--count 24] [--seed 2026] A=run-a/dataset.jsonl B=...

A reader judges each answer against the code (correct / partly / wrong) and names the better one
(or "same"); `--tally FILE` reads a reader's verdict table back and prints the totals per run.
"""
import argparse
import json
import os
import random
import re
import sys


def load(path):
    """{(path, question): answer} of a raw export."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            s = json.loads(line)
            if not isinstance(s, dict) or "question" not in s or "answer" not in s:
                sys.exit(f"{path}:{n}: not a raw export line")
            out.setdefault((s.get("path", ""), s["question"].strip()), s["answer"].strip())
    return out


def draw(runs, count, seed):
    """The questions every run answered, `count` drawn with `seed`, each with its letter order."""
    labels = list(runs)
    common = set.intersection(*(set(r) for r in runs.values()))
    chosen = random.Random(seed).sample(sorted(common), min(count, len(common)))
    rng = random.Random(seed + 1)
    items = []
    for key in chosen:
        order = labels[:]
        rng.shuffle(order)
        items.append((key, order))
    return items, len(common)


def write(out, runs, items, common, seed):
    letters = [chr(ord("X") + i) if i < 3 else chr(ord("A") + i - 3) for i in range(len(runs))]
    text = [f"# Paired reading: {len(items)} of {common} questions every run asked, drawn with "
            f"seed {seed}", "",
            "Each question has one answer per run, under letters drawn per question. Judge each "
            "answer against the code on its own (correct / partly / wrong), then name the better "
            "one, or `same`.", ""]
    key = {}
    for i, ((path, question), order) in enumerate(items, 1):
        text += [f"## {i}. {path}", "", f"**Q:** {question}", ""]
        key[str(i)] = {}
        for letter, label in zip(letters, order):
            text += [f"**{letter}:** {runs[label][(path, question)]}", ""]
            key[str(i)][letter] = label
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "reading-paired.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(text))
    with open(os.path.join(out, "reading-paired-key.json"), "w", encoding="utf-8") as f:
        json.dump(key, f, indent=2)


ROW = re.compile(r"^\|\s*(\d+)\s*\|(.*)\|\s*$")
VERDICTS = ("correct", "partly", "wrong")


def tally(table_path, key_path):
    """Totals per run from a reader's table: rows `| n | X verdict | Y verdict | ... | better |`."""
    with open(key_path, encoding="utf-8") as f:
        key = json.load(f)
    runs = sorted({label for q in key.values() for label in q.values()})
    totals = {r: dict.fromkeys(VERDICTS + ("better",), 0) for r in runs}
    same = 0
    with open(table_path, encoding="utf-8") as f:
        for line in f:
            m = ROW.match(line.strip())
            if not m or m.group(1) not in key:
                continue
            cells = [c.strip().lower() for c in m.group(2).split("|")]
            letters = sorted(key[m.group(1)])
            for letter, cell in zip(letters, cells):
                verdict = next((v for v in VERDICTS if cell.startswith(v)), None)
                if verdict is None:
                    sys.exit(f"{table_path}: question {m.group(1)}: {letter} has no verdict: {cell!r}")
                totals[key[m.group(1)][letter]][verdict] += 1
            better = cells[len(letters)] if len(cells) > len(letters) else ""
            if better.upper() in key[m.group(1)]:
                totals[key[m.group(1)][better.upper()]]["better"] += 1
            elif better.startswith("same"):
                same += 1
    for r in runs:
        t = totals[r]
        n = sum(t[v] for v in VERDICTS)
        print(f"{r}: correct {t['correct']} / partly {t['partly']} / wrong {t['wrong']} of {n}, "
              f"better {t['better']}")
    print(f"same: {same}")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="folder for reading-paired.md and its key")
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--tally", help="a reader's verdict table to count (with --key)")
    ap.add_argument("--key", help="reading-paired-key.json (with --tally)")
    ap.add_argument("runs", nargs="*", help="LABEL=raw export")
    args = ap.parse_args(argv)
    if args.tally:
        if not args.key:
            ap.error("--tally needs --key")
        tally(args.tally, args.key)
        return
    if not args.out or len(args.runs) < 2:
        ap.error("give --out and at least two LABEL=PATH runs")
    runs = {}
    for spec in args.runs:
        label, sep, path = spec.partition("=")
        if not sep or not label or not path:
            ap.error(f"not LABEL=PATH: {spec!r}")
        if label in runs:
            ap.error(f"label given twice: {label!r}")
        runs[label] = load(path)
    items, common = draw(runs, args.count, args.seed)
    if not items:
        sys.exit("no question was asked in every run")
    write(args.out, runs, items, common, args.seed)
    print(f"{len(items)} of {common} common questions drawn into {args.out}/reading-paired.md")


if __name__ == "__main__":
    main(sys.argv[1:])
