#!/usr/bin/env python3
"""run.py — scripts/bench.sh peers: git2dataset against synthetic-data-kit on one llama-server.

    run.py --g2d BIN --sdk-venv DIR --server BIN --model GGUF --corpus REPO --out DIR
           [--files N] [--threads 2] [--ctx 4096] [--slots 4] [--samples 20] [--seed 2026]
           [--modes two_step,pairs] [--peer-runs 1]

Runs under synthetic-data-kit's venv python (it needs PyYAML to write that tool's configuration).
On the corpus's source files (the first N with --files, for a trial), each tool in turn:
  1. synthetic-data-kit `create --type qa --num-pairs 3`, provider api-endpoint, on every file as
     a .txt document (what its `ingest` makes of a .txt file is the file itself);
  2. git2dataset, backend openai, on llama-server, in each generation mode of --modes
     (default two_step,pairs);
  3. git2dataset, the embedded engine (llama_cpp), in each mode, with no server running.
Each run of 1 and 2 gets a llama-server of its own, started fresh (a server keeps the prompts it
evaluated, which would credit one tool with another's work), each with the same flags:
--metrics, a free loopback port, --slots slots of --ctx tokens each, --threads threads. Token
counts come from /metrics read before and after each tool; the embedded engine's from its
database (answers' calls only: that is what it stores).
--peer-runs N runs synthetic-data-kit N times, each on a fresh server; its row is the run of
median speed, and lists each run's time (its own time varies most between runs: its summary call
samples at temperature 0.7 and may loop to its budget).
Writes to --out: report.md (the table), report.json, reading-A.md ... (samples drawn with --seed,
one file per tool under a letter assigned by the seed, for a blind reading) and reading-key.json
(which letter is which tool), and each tool's folder with its logs and output.

Errors: a tool that exits non-zero, or a server that does not come up, stops the run with the
tail of its log; numbers are only printed for complete runs.
"""
import argparse
import importlib.util
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402

PAIRS_PER_FILE = 3
ANSWER_TOKENS = 256
# synthetic-data-kit has one budget for a whole reply (generation.max_tokens), and one reply holds
# all of a document's pairs (and the summary call uses it too): three answers of 256 tokens plus
# their questions and the JSON around them.
SDK_REPLY_TOKENS = PAIRS_PER_FILE * ANSWER_TOKENS + 256
RUN_TIMEOUT_S = 3600
MODEL_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m"


def log(msg):
    print(f"[peers {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8")


def run_logged(cmd, cwd, log_path, env=None):
    """Runs cmd, output to log_path; returns its wall seconds, or exits with the log's tail."""
    start = time.monotonic()
    with open(log_path, "w") as out:
        rc = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env,
                            timeout=RUN_TIMEOUT_S).returncode
    seconds = time.monotonic() - start
    if rc != 0:
        with open(log_path, errors="replace") as f:
            sys.stderr.write("".join(f.readlines()[-30:]))
        sys.exit(f"[peers] {' '.join(cmd[:3])} exited {rc} (log: {log_path})")
    return seconds


class Server:
    """llama-server on a free loopback port; stop() ends it (and only it)."""

    def __init__(self, binary, model, args, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [binary, "-m", model, "--host", "127.0.0.1", "--port", str(self.port), "--metrics",
               "-c", str(args.ctx * args.slots), "-np", str(args.slots), "-t", str(args.threads),
               "--alias", MODEL_NAME]
        log("llama-server: " + " ".join(cmd[1:]))
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"[peers] llama-server exited {self.proc.returncode} (log: {log_path})")
            try:
                if http_get(self.url + "/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)  # polling a server that has no readiness event to wait on
        self.stop()
        sys.exit(f"[peers] llama-server did not answer /health in 300 s (log: {log_path})")

    def tokens(self):
        return peers.parse_metrics(http_get(self.url + "/metrics")[1])

    def calls(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return peers.count_calls(f.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def spent(before, after):
    return {k: after[k] - before[k] for k in before}


def corpus_files(corpus, limit):
    out = subprocess.run(["git", "-C", corpus, "ls-files", "*.py", "*.js", "*.c"], check=True,
                         capture_output=True, text=True).stdout.split()
    return sorted(out)[:limit] if limit else sorted(out)


def make_repo(corpus, files, repo):
    """A git repository of just these files, so every tool is given the same ones."""
    for f in files:
        os.makedirs(os.path.dirname(os.path.join(repo, f)) or repo, exist_ok=True)
        shutil.copyfile(os.path.join(corpus, f), os.path.join(repo, f))
    git = ["git", "-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@local"]
    subprocess.run(["git", "init", "-q", repo], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "corpus"], check=True)


def run_sdk(args, server, files, dir):
    """synthetic-data-kit on each file; returns (pairs, seconds, tokens)."""
    package = importlib.util.find_spec("synthetic_data_kit")  # found, not imported
    src = os.path.join(os.path.dirname(package.origin), "config.yaml")
    with open(src) as f:
        config = yaml.safe_load(f)
    config["llm"]["provider"] = "api-endpoint"
    config["api-endpoint"].update(api_base=server.url + "/v1", api_key="local", model=MODEL_NAME)
    config["generation"]["max_tokens"] = SDK_REPLY_TOKENS
    config["generation"]["num_pairs"] = PAIRS_PER_FILE
    with open(os.path.join(dir, "config.yaml"), "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    inputs = os.path.join(dir, "input")
    os.makedirs(inputs)
    names = {}
    for f in files:
        name = f.replace("/", "__") + ".txt"
        shutil.copyfile(os.path.join(args.repo, f), os.path.join(inputs, name))
        names[name] = f
    env = {k: v for k, v in os.environ.items() if k != "API_ENDPOINT_KEY"}
    cmd = [os.path.join(args.sdk_venv, "bin", "synthetic-data-kit"), "-c", "config.yaml", "create",
           "input", "--type", "qa", "--num-pairs", str(PAIRS_PER_FILE), "-o", "generated"]
    log(f"synthetic-data-kit create on {len(files)} files (see {dir}/run.log)")
    before, calls = server.tokens(), server.calls()
    seconds = run_logged(cmd, dir, os.path.join(dir, "run.log"), env)
    tokens, calls = spent(before, server.tokens()), server.calls() - calls
    return peers.sdk_pairs(os.path.join(dir, "generated"), names), seconds, tokens, calls


def run_g2d(args, dir, llm, mode):
    """git2dataset scrape (untimed), then prepare + export (timed) in generation mode `mode`;
    returns (pairs, seconds)."""
    os.makedirs(dir, exist_ok=True)
    with open(os.path.join(dir, "git2dataset.yaml"), "w") as f:
        f.write(peers.g2d_config(llm, mode, PAIRS_PER_FILE, ANSWER_TOKENS))
    with open(os.path.join(dir, "repos.txt"), "w") as f:
        f.write(args.repo + "\n")
    run_logged([args.g2d, "scrape"], dir, os.path.join(dir, "scrape.log"))
    log(f"git2dataset prepare, {llm['backend']}, {mode} (see {dir}/prepare.log)")
    start = time.monotonic()
    with open(os.path.join(dir, "prepare.log"), "w") as out:
        rc = subprocess.run([args.g2d, "prepare"], cwd=dir, stdout=out, stderr=subprocess.STDOUT,
                            timeout=RUN_TIMEOUT_S).returncode
    if rc not in (0, 1):  # 1: some file failed, which counts as no pairs from it
        sys.exit(f"[peers] prepare exited {rc} (log: {dir}/prepare.log)")
    run_logged([args.g2d, "export", "--format", "raw", "--output", "dataset.jsonl"], dir,
               os.path.join(dir, "export.log"))
    seconds = time.monotonic() - start
    pairs = peers.g2d_pairs(os.path.join(dir, "dataset.jsonl"))
    if rc != 0:
        with open(os.path.join(dir, "prepare.log"), errors="replace") as f:
            sys.stderr.write("".join(f.readlines()[-10:]))
        if not pairs:  # not one file done: the run itself failed (a wrong model name, ...)
            sys.exit(f"[peers] prepare exited {rc} without a sample (log: {dir}/prepare.log)")
        log(f"prepare exited {rc}: some files failed (they count as no pairs)")
    return pairs, seconds


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("--g2d", "--sdk-venv", "--server", "--model", "--corpus", "--out"):
        ap.add_argument(name, required=True)
    ap.add_argument("--files", type=int, default=0, help="only the first N files (a trial)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ctx", type=int, default=4096, help="context per llama-server slot")
    ap.add_argument("--slots", type=int, default=4)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--peer-runs", type=int, default=1,
                    help="synthetic-data-kit's runs; its row is the median one")
    ap.add_argument("--modes", default="two_step,pairs",
                    help="git2dataset's generation modes to run, comma-separated")
    args = ap.parse_args(argv)
    args.out = os.path.abspath(args.out)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    files = corpus_files(args.corpus, args.files)
    args.repo = os.path.join(args.out, "corpus")
    make_repo(args.corpus, files, args.repo)
    modes = [m for m in args.modes.split(",") if m]

    rows, pairs_of = [], {}
    # Each tool gets a server of its own, started fresh: llama-server keeps prompts it evaluated
    # (its slots, and its host-memory prompt cache), so a tool run after another on the same
    # server would find its prompts' common prefix (the system prompt and the code) already
    # evaluated and be credited with the first tool's work.
    def on_server(name, run):
        server = Server(args.server, args.model, args,
                        os.path.join(args.out, f"llama-server-{name}.log"))
        try:
            return run(server)
        finally:
            server.stop()

    def sdk(run_dir):
        def run(server):
            os.makedirs(run_dir)
            pairs, seconds, tokens, calls = run_sdk(args, server, files, run_dir)
            row = peers.measure("synthetic-data-kit 0.0.5 (llama-server)", pairs, seconds,
                                len(files), tokens, calls)
            row["pairs_drawn"] = pairs
            return row
        return run

    def g2d(mode):
        def run(server):
            before, calls = server.tokens(), server.calls()
            pairs, seconds = run_g2d(args, os.path.join(args.out, f"g2d-openai-{mode}"), {
                "backend": "openai", "base_url": server.url, "model": MODEL_NAME}, mode)
            return peers.measure(f"git2dataset {mode}, openai backend (llama-server)", pairs,
                                 seconds, len(files), spent(before, server.tokens()),
                                 server.calls() - calls), pairs
        return run

    peer_runs = []
    for i in range(1, args.peer_runs + 1):
        suffix = "" if args.peer_runs == 1 else f"-{i}"
        peer_runs.append(on_server(f"sdk{suffix}",
                                   sdk(os.path.join(args.out, f"synthetic-data-kit{suffix}"))))
    peer = peers.median_run(peer_runs)
    pairs_of[peer["tool"]] = peer.pop("pairs_drawn")
    for r in peer_runs:
        r.pop("pairs_drawn", None)
    rows.append(peer)
    for name, run in [(f"g2d-{mode}", g2d(mode)) for mode in modes]:
        row, pairs = on_server(name, run)
        rows.append(row)
        pairs_of[row["tool"]] = pairs
    for mode in modes:
        dir = os.path.join(args.out, f"g2d-embedded-{mode}")
        pairs, seconds = run_g2d(args, dir, {
            "backend": "llama_cpp", "model": os.path.abspath(args.model), "threads": args.threads},
            mode)
        rows.append(peers.measure(f"git2dataset {mode}, embedded engine", pairs, seconds,
                                  len(files), peers.db_tokens(os.path.join(dir, "git2dataset.db")),
                                  tokens_note="calls as sent, from the database"))
        pairs_of[rows[-1]["tool"]] = pairs

    letters = [chr(ord("A") + i) for i in range(len(rows))]
    random.Random(args.seed).shuffle(letters)
    key = {}
    for letter, row in zip(letters, rows):
        key[f"reading-{letter}.md"] = row["tool"]
        with open(os.path.join(args.out, f"reading-{letter}.md"), "w") as f:
            f.write(peers.reading(f"Reading {letter}", pairs_of[row["tool"]], args.samples,
                                  args.seed))
    with open(os.path.join(args.out, "reading-key.json"), "w") as f:
        json.dump(key, f, indent=2)
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(rows, f, indent=2)
    text = peers.table(rows)
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main(sys.argv[1:])
