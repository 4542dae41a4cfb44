#!/usr/bin/env python3
"""peers.py — the measures of scripts/bench.sh peers (standard library only; run.py drives it).

Reads what each tool wrote and turns it into the benchmark's numbers:
  usable pair      a question that ends with '?' (after trimming white space) with a non-empty
                   answer; both must be strings (a model's JSON may hold anything)
  sdk_pairs        synthetic-data-kit's `create --type qa` output: one <name>_qa_pairs.json per
                   input document, {"summary": ..., "qa_pairs": [{"question", "answer"}, ...]};
                   `names` maps each input document's name to the corpus path it was made from
  g2d_pairs        git2dataset's `export --format raw` JSONL: one {"question", "answer", "path"}
                   object per line
  parse_metrics    llama-server's Prometheus text (/metrics with --metrics): the counters
                   llamacpp:prompt_tokens_total (prompt tokens evaluated, cache hits excluded) and
                   llamacpp:tokens_predicted_total
  count_calls      completions llama-server finished, from its log (one "prompt eval time" timing
                   line per finished request; /metrics has no request counter)
  db_tokens        the embedded engine's token counts as git2dataset stores them per sample
                   (TrainingSamples.prompt_tokens, .completion_tokens: the answers' calls only)
  table            the markdown table, each tool's pairs per minute as a ratio to the first row's
  reading          samples drawn with a fixed seed, for a person to read blind
  g2d_config       the git2dataset.yaml of one git2dataset run (its llm keys, generation.mode)

Errors: a malformed file raises (ValueError, json.JSONDecodeError, OSError): the benchmark must
not report numbers from output it could not read. A missing synthetic-data-kit output file (the
tool failed on that document) counts as no pairs.
"""
import json
import math
import os
import random
import re
import sqlite3

METRIC = re.compile(r"^(llamacpp:[a-z_]+)(?:\{[^}]*\})?\s+(\S+)\s*$")


def usable(question, answer):
    return (isinstance(question, str) and isinstance(answer, str)
            and question.strip().endswith("?") and answer.strip() != "")


def sdk_pairs(out_dir, names):
    """All pairs synthetic-data-kit wrote, as {question, answer, file} (file: the corpus path)."""
    pairs = []
    for name in sorted(names):
        base = name[:-4] if name.endswith(".txt") else name
        path = os.path.join(out_dir, base + "_qa_pairs.json")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if not isinstance(doc, dict) or not isinstance(doc.get("qa_pairs", []), list):
            raise ValueError(f"{path}: not synthetic-data-kit's qa output")
        for p in doc.get("qa_pairs", []):
            p = p if isinstance(p, dict) else {}
            pairs.append({"question": p.get("question"), "answer": p.get("answer"),
                          "file": names[name]})
    return pairs


def g2d_pairs(jsonl_path):
    pairs = []
    with open(jsonl_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            s = json.loads(line)
            if not isinstance(s, dict) or "question" not in s:
                raise ValueError(f"{jsonl_path}:{n}: not a raw export line")
            pairs.append({"question": s.get("question"), "answer": s.get("answer"),
                          "file": s.get("path")})
    return pairs


def parse_metrics(text):
    """{"prompt_tokens": N, "predicted_tokens": N} from llama-server's /metrics text."""
    values = {}
    for line in text.splitlines():
        m = METRIC.match(line.strip())
        if m:
            values[m.group(1)] = float(m.group(2))
    want = {"prompt_tokens": "llamacpp:prompt_tokens_total",
            "predicted_tokens": "llamacpp:tokens_predicted_total"}
    missing = [v for v in want.values() if v not in values]
    if missing:
        raise ValueError(f"/metrics lacks {', '.join(missing)} (is llama-server run with --metrics?)")
    return {k: values[v] for k, v in want.items()}


def count_calls(log_text):
    return sum(1 for line in log_text.splitlines()
               if "print_timing" in line and "prompt eval time" in line)


def db_tokens(db_path):
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        prompt, predicted = db.execute(
            "SELECT COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0) "
            "FROM TrainingSamples").fetchone()
    return {"prompt_tokens": float(prompt), "predicted_tokens": float(predicted)}


def measure(tool, pairs, seconds, files, tokens, calls=None, tokens_note=""):
    """One tool's row: tokens is {"prompt_tokens", "predicted_tokens"} spent in the run, calls the
    model calls it made (None: not known)."""
    good = [p for p in pairs if usable(p["question"], p["answer"])]
    n = len(good)
    return {"tool": tool, "pairs": len(pairs), "usable": n, "seconds": seconds, "files": files,
            "usable_per_minute": n / (seconds / 60) if seconds > 0 else math.nan,
            "calls_per_usable": calls / n if calls is not None and n else math.nan,
            "predicted_per_usable": tokens["predicted_tokens"] / n if n else math.nan,
            "prompt_per_file": tokens["prompt_tokens"] / files if files else math.nan,
            "tokens_note": tokens_note}


def median_run(runs):
    """The row of the run of median speed (usable pairs per minute) among one tool's `runs`; of an
    even count, the faster of the middle two (the ratios against the peer are not flattered by its
    slower run). With more than one run the row lists every run's seconds under "runs"."""
    ordered = sorted(runs, key=lambda r: r["usable_per_minute"])
    row = dict(ordered[len(ordered) // 2])
    if len(runs) > 1:
        row["runs"] = [r["seconds"] for r in runs]
    return row


def table(rows):
    """Markdown table; ratios against rows[0] (the peer tool)."""
    ref = rows[0]["usable_per_minute"] if rows else math.nan
    out = ["| tool | usable pairs (of all) | wall s | usable pairs / min | ratio to "
           f"{rows[0]['tool'] if rows else '-'} | model calls / usable pair | "
           "tokens predicted / usable pair | prompt tokens evaluated / file |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = r["usable_per_minute"] / ref if ref and not math.isnan(ref) else math.nan
        note = f" ({r['tokens_note']})" if r["tokens_note"] else ""
        tool = r["tool"]
        if r.get("runs"):
            tool += (f" (median of {len(r['runs'])} runs: "
                     f"{', '.join(f'{s:.0f}' for s in r['runs'])} s)")
        calls = "-" if math.isnan(r["calls_per_usable"]) else f"{r['calls_per_usable']:.2f}"
        out.append(f"| {tool} | {r['usable']} ({r['pairs']}) | {r['seconds']:.0f} | "
                   f"{r['usable_per_minute']:.1f} | {ratio:.2f}x | "
                   f"{calls} | "
                   f"{r['predicted_per_usable']:.0f}{note} | {r['prompt_per_file']:.0f}{note} |")
    return "\n".join(out) + "\n"


def reading(title, pairs, count, seed):
    """Markdown with `count` usable pairs drawn with `seed`, in drawn order."""
    good = [p for p in pairs if usable(p["question"], p["answer"])]
    drawn = random.Random(seed).sample(good, min(count, len(good)))
    out = [f"# {title}: {len(drawn)} of {len(good)} usable pairs, drawn with seed {seed}", ""]
    for i, p in enumerate(drawn, 1):
        out += [f"## {i}. {p['file']}", "", f"**Q:** {p['question'].strip()}", "",
                f"**A:** {p['answer'].strip()}", ""]
    return "\n".join(out)


def g2d_config(llm, mode, pairs_per_file, answer_tokens):
    """git2dataset.yaml text: the `llm` keys given (JSON scalars are valid YAML), the pairs per
    file and the answers' token budget, generation.mode, and no battery monitoring."""
    lines = ["llm:"] + [f"  {k}: {json.dumps(v)}" for k, v in llm.items()]
    lines += [f"  questions_per_file: {pairs_per_file}", f"  default_max_tokens: {answer_tokens}",
              "generation:", f"  mode: {mode}", "resources:", "  enable_battery_monitoring: false"]
    return "\n".join(lines) + "\n"
