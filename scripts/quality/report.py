#!/usr/bin/env python3
"""report.py — measures the quality of what one `git2dataset prepare` stored (scripts/bench.sh quality).

    report.py --db git2dataset.db --dataset dataset.jsonl --model LABEL --prepare-seconds S
              --reading reading.md [--reading-exported reading-exported.md] [--samples 20]
              [--seed 2026] [--json report.json]

Reads the SQLite database read-only (TrainingSamples, SampleUnits, FileHashes, FailedFiles) and
the exported JSONL file, prints a markdown summary and, last, one markdown table row for
docs/benchmarks.md; writes --samples samples drawn at random with a fixed seed to the --reading
file for a blind reading by a person (question, answer, path and lines, the unit's code), and as
many drawn from the samples the export wrote to --reading-exported (the dataset a user trains on).

What it measures, per model:
  files            files done and failed
  stored / file    live samples stored per file; exported / file: lines of the export per file
  well-formed      the share of stored questions that pass well_formed() below, a rule of this
                   script, independent of git2dataset's own checks
  truncated        the share of answers carrying the stored `truncated` flag (the answer hit its
                   token budget); every flag is counted too: those stored with the sample
                   (truncated, empty, refusal, repetitive, control_chars: src/quality/flags.cpp)
                   and those `export` derives from the stored measures at its default thresholds
                   (ungrounded: grounding < 0.5; duplicate; near_duplicate: similarity >= 0.7)
  grounding        median of the stored grounding scores (0..1; -1 = not measured, left out), and
                   the share >= 0.5
  duplicates       samples linked as exact (duplicate_of) and near duplicates (near_duplicate_of,
                   stored from similarity 0.5; those >= 0.7 are what export leaves out)
  tokens / sample  mean completion tokens of the stored answers (the questions call's tokens are
                   not attributed to samples)
  s / file         wall time of `prepare` divided by the files it was given

The well-formedness rule (well_formed): a question is well-formed when ALL of these hold —
  1. one line, at most 200 characters (after trimming white space);
  2. it ends with '?';
  3. exactly one question: one '?' outside `code spans`;
  4. it does not start with a list marker or numbering (-, *, •, 1., 1), Q1:, Question 2:) or a
     quotation mark (" ' “ ” ‘ ’ « »);
  5. it is not cut off: no '...' or '…' before the final '?', no word ending in '-' there, and
     backticks balanced;
  6. it names an identifier of its code: a token [A-Za-z_][A-Za-z0-9_]* of the question that occurs
     as a token in the unit's code and is either written in backticks in the question or is not a
     common English word or language keyword (COMMON_WORDS: "the", "value", "return", "function",
     "self", ...). Matching is case-sensitive, as identifiers are.
"""
import argparse
import json
import random
import re
import sqlite3
import statistics
import sys
from collections import Counter

MAX_QUESTION_CHARS = 200
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CODE_SPAN = re.compile(r"`[^`]*`")
LEADING_MARKER = re.compile(
    r"""^(?:[-*•+]\s|\d+\s*[.):]|\(\d+\)|[a-z][.)]\s|q\d*\s*[:.]|question\s*\d*\s*[:.]|["'“”‘’«»])""",
    re.IGNORECASE)

# Words a question uses as English (and language keywords that are words too): finding one of these
# in the code does not make the question name an identifier, unless it is written in backticks.
COMMON_WORDS = frozenset("""
a about above after again against all also an and any are as at be because been before being
below between both but by can could did do does doing done down during each either else ever
every few for from further get gets given go had has have having he her here how however i if in
into is it its itself just least less let like made make makes many may me might more most much
must my need new no nor not now of off on once one only or other our out over own per same set
sets she should since so some such than that the their them then there these they this those
through to too true false under until up upon us use used uses using very via was way we well
were what when where whether which while who whom whose why will with within without would yet
you your
argument arguments array arrays behavior behaviour block boolean buffer call called calls case
cases character characters check checks class classes code constant default defined defines
definition different does error errors example exception exceptions expression file files
function functions handle handled handles handling implementation implemented input inputs item
items key keys line lines list lists loop main method methods mode module name names null number
numbers object objects option options output outputs parameter parameters part pass passed
pattern patterns provided purpose result results return returned returns role run script section
sequence snippet source statement string strings support type types used user value values
variable variables version text data size length message path format flag flags state index
count start end first last next
and as assert async await break catch char const continue def del elif enum except extern
export finally float from function global goto import in int lambda long new nonlocal pass raise
short signed sizeof static struct switch this throw try typedef typeof union unsigned var void
volatile while with yield none undefined self
""".split())


def code_tokens(code):
    return set(TOKEN.findall(code or ""))


def question_identifiers(question, code):
    """The identifiers of the code that the question names (rule 6)."""
    in_code = code_tokens(code)
    quoted = set()
    for span in CODE_SPAN.findall(question):
        quoted.update(TOKEN.findall(span))
    return sorted({t for t in TOKEN.findall(question)
                   if t in in_code and (t in quoted or t.lower() not in COMMON_WORDS)})


def problems(question, code):
    """The rules (1-6, by name) that a question breaks; empty when it is well-formed."""
    q = question.strip()
    broken = []
    if "\n" in q or len(q) > MAX_QUESTION_CHARS:
        broken.append("long_or_multiline")
    if not q.endswith("?"):
        broken.append("no_question_mark")
    if CODE_SPAN.sub("", q).count("?") != 1:
        broken.append("not_one_question")
    if LEADING_MARKER.match(q):
        broken.append("list_marker_or_quote")
    body = q.rstrip("?").rstrip()
    if body.endswith("...") or body.endswith("…") or body.endswith("-") or q.count("`") % 2:
        broken.append("cut_off")
    if not question_identifiers(q, code):
        broken.append("no_identifier")
    return broken


def well_formed(question, code):
    return not problems(question, code)


def median(values):
    return statistics.median(values) if values else float("nan")


def share(part, whole):
    return part / whole if whole else float("nan")


def pct(x):
    return "n/a" if x != x else f"{100 * x:.0f}%"


def load(db_path):
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    samples = [dict(r) for r in db.execute(
        "SELECT s.id, s.file_path, s.question, s.answer, s.line_start, s.line_end, "
        "s.completion_tokens, s.quality_flags, s.grounding, s.duplicate_of, s.near_duplicate_of, "
        "s.near_duplicate_similarity, u.code, u.scope FROM TrainingSamples s "
        "LEFT JOIN SampleUnits u ON u.id = s.unit_id WHERE s.retired = 0 ORDER BY s.id")]
    statuses = Counter(r[0] for r in db.execute("SELECT status FROM FileHashes"))
    failed = [dict(r) for r in db.execute("SELECT file_path, error_kind, error_message FROM FailedFiles")]
    db.close()
    return samples, statuses, failed


MIN_GROUNDING = 0.5  # export's defaults (README, Quality)
NEAR_DUPLICATE_SIMILARITY = 0.7


def export_flags(s):
    """The flags export gives a sample at its default thresholds (src/dataset/export.cpp)."""
    flags = {f for f in s["quality_flags"].split(",") if f}
    if s["grounding"] is not None and 0 <= s["grounding"] < MIN_GROUNDING:
        flags.add("ungrounded")
    if s["duplicate_of"] is not None:
        flags.add("duplicate")
    if s["near_duplicate_of"] is not None and \
            (s["near_duplicate_similarity"] or 0) >= NEAR_DUPLICATE_SIMILARITY:
        flags.add("near_duplicate")
    return flags


def measure(samples, statuses, failed, exported, prepare_seconds, files_given):
    """The measures over all files; `exported` is the number of exported samples."""
    files = files_given or sum(statuses.values())
    flags = Counter()
    for s in samples:
        flags.update(export_flags(s))
    broken = Counter()
    good = 0
    for s in samples:
        p = problems(s["question"], s["code"])
        broken.update(p)
        good += not p
    grounding = [s["grounding"] for s in samples if s["grounding"] is not None and s["grounding"] >= 0]
    tokens = [s["completion_tokens"] for s in samples]
    return {
        "files": files,
        "files_done": statuses.get("done", 0),
        "files_failed": len(failed),
        "failures": failed,
        "stored": len(samples),
        "exported": exported,
        "stored_per_file": share(len(samples), files),
        "exported_per_file": share(exported, files),
        "well_formed": share(good, len(samples)),
        "rules_broken": dict(broken),
        "truncated": share(flags.get("truncated", 0), len(samples)),
        "flags": dict(flags),
        "grounding_median": median(grounding),
        "grounding_ge_half": share(sum(g >= 0.5 for g in grounding), len(grounding)),
        "grounding_measured": len(grounding),
        "duplicates": sum(s["duplicate_of"] is not None for s in samples),
        "near_duplicates": sum(s["near_duplicate_of"] is not None for s in samples),
        "near_duplicates_at_export": flags.get("near_duplicate", 0),
        "completion_tokens_per_sample": statistics.mean(tokens) if tokens else float("nan"),
        "prepare_seconds": prepare_seconds,
        "seconds_per_file": share(prepare_seconds, files),
    }


def per_file(samples, exported_paths):
    """Rows (path, stored, exported, well-formed) per file; exported_paths: the raw export's
    `path` of each exported sample (repository-relative, so matched as a suffix)."""
    rows = {}
    for s in samples:
        row = rows.setdefault(s["file_path"], [0, 0, 0])
        row[0] += 1
        row[2] += well_formed(s["question"], s["code"])
    for path in exported_paths:
        match = [p for p in rows if p == path or p.endswith("/" + path)]
        if match:
            rows[match[0]][1] += 1
    return [(p, *rows[p]) for p in sorted(rows)]


def table_row(model, m):
    return (f"| {model} | {m['files']} ({m['files_failed']} failed) | {m['stored_per_file']:.2f} | "
            f"{m['exported_per_file']:.2f} | {pct(m['well_formed'])} | {pct(m['truncated'])} | "
            f"{m['grounding_median']:.2f} / {pct(m['grounding_ge_half'])} | "
            f"{m['duplicates']} / {m['near_duplicates_at_export']} | "
            f"{m['completion_tokens_per_sample']:.0f} | "
            f"{m['seconds_per_file']:.1f} |")


TABLE_HEADER = ("| model | files | stored / file | exported / file | well-formed questions | "
                "truncated answers | grounding median / ≥ 0.5 | duplicates / near (≥ 0.7) | "
                "completion tokens / sample | s / file |\n|---|---|---|---|---|---|---|---|---|---|")


def exported_samples(samples, exported):
    """The stored samples the export wrote (raw format rows carry the sample's `id`)."""
    ids = {row.get("id") for row in exported}
    return [s for s in samples if s["id"] in ids]


def reading(model, samples, count, seed):
    chosen = random.Random(seed).sample(samples, min(count, len(samples)))
    out = [f"# Samples for a blind reading: {model}", "",
           f"{len(chosen)} of {len(samples)} samples, drawn with random.Random({seed}).", ""]
    for n, s in enumerate(chosen, 1):
        fence = "````" if "```" in (s["code"] or "") else "```"
        out += [f"## {n}. `{s['file_path']}` lines {s['line_start']}–{s['line_end']}", "",
                f"**Question:** {s['question']}", "", "**Answer:**", "", s["answer"], "",
                "<details><summary>code</summary>", "", fence, s["code"] or "(no code stored)",
                fence, "", "</details>", ""]
    return "\n".join(out)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--dataset", required=True, help="the export, in the raw format")
    parser.add_argument("--model", required=True)
    parser.add_argument("--prepare-seconds", type=float, required=True)
    parser.add_argument("--files", type=int, default=0, help="files given (default: the database's)")
    parser.add_argument("--reading", required=True, help="a reading of stored samples")
    parser.add_argument("--reading-exported", help="a reading of exported samples")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json")
    args = parser.parse_args(argv)

    samples, statuses, failed = load(args.db)
    with open(args.dataset, encoding="utf-8") as f:
        exported = [json.loads(line) for line in f if line.strip()]
    exported_paths = [row.get("path", "") for row in exported]
    m = measure(samples, statuses, failed, len(exported_paths), args.prepare_seconds, args.files)
    with open(args.reading, "w", encoding="utf-8") as f:
        f.write(reading(args.model, samples, args.samples, args.seed))
    if args.reading_exported:
        with open(args.reading_exported, "w", encoding="utf-8") as f:
            f.write(reading(args.model + " (exported)", exported_samples(samples, exported),
                            args.samples, args.seed))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(m, f, indent=2)

    print(f"## {args.model}\n")
    print(f"- files: {m['files']} given, {m['files_done']} done, {m['files_failed']} failed")
    for fail in failed:
        print(f"  - failed: {fail['file_path']}: {fail['error_kind']}: {fail['error_message']}")
    print(f"- samples: {m['stored']} stored, {m['exported']} exported")
    print(f"- well-formed questions: {pct(m['well_formed'])}; rules broken: "
          f"{m['rules_broken'] or 'none'}")
    print(f"- flags (samples carrying each; stored, and derived as export does): "
          f"{m['flags'] or 'none'}")
    print(f"- grounding: median {m['grounding_median']:.2f}, ≥ 0.5: {pct(m['grounding_ge_half'])} "
          f"({m['grounding_measured']} measured)")
    print(f"- duplicates: {m['duplicates']} exact, {m['near_duplicates']} near (linked from "
          f"0.5), {m['near_duplicates_at_export']} of them ≥ 0.7")
    print(f"- completion tokens per sample (answers): {m['completion_tokens_per_sample']:.0f}")
    print(f"- prepare: {m['prepare_seconds']:.0f} s, {m['seconds_per_file']:.1f} s per file")
    print(f"- {len(samples) and min(args.samples, len(samples))} samples for reading: {args.reading}\n")
    print("| file | stored | exported | well-formed |\n|---|---|---|---|")
    for path, stored, exported, good in per_file(samples, exported_paths):
        print(f"| {path.split('/', 2)[-1]} | {stored} | {exported} | {good} |")
    print()
    print(TABLE_HEADER)
    print(table_row(args.model, m))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
