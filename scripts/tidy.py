#!/usr/bin/env python3
"""tidy.py — clang-tidy over git2dataset's own sources (src/**/*.cpp), skipping the files whose
result is already known: the `check-tidy` target (cmake/Check.cmake) and CI run it.

    tidy.py --build DIR --source ROOT [--cache DIR] [--jobs N] [--clang-tidy BIN]

A file passes when clang-tidy exits 0 on it (.clang-tidy makes every warning an error). A pass is
remembered in --cache (default $G2D_CACHE/tidy, else ~/.cache/git2dataset/tidy) under a key that
covers everything the result depends on: clang-tidy's version, .clang-tidy, the file's compile
command (with the source and build folders written as placeholders, so another clone of the same
commit shares the key), and the content of the file and of every header it includes, as the
build's dependency records list them (`ninja -t deps`). A file the build has not compiled yet has
no record and is always checked. Failures are never remembered.

Exit status: 0 when every file passes, 1 when one does not (its output is printed), 2 on a usage
error or a build folder without compile_commands.json.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys


def file_digest(path, memo):
    """SHA-256 of a file's bytes ("missing" when it cannot be read), memoised per run."""
    if path not in memo:
        try:
            with open(path, "rb") as f:
                memo[path] = hashlib.sha256(f.read()).hexdigest()
        except OSError:
            memo[path] = "missing"
    return memo[path]


def parse_deps(text):
    """`ninja -t deps` output → {object path (as ninja names it): [dependency paths]}; a record
    ninja marks STALE (the object is older than its source) is left out."""
    deps, current = {}, None
    for line in text.splitlines():
        if not line.strip():
            current = None
        elif not line.startswith(" "):
            current = line.split(":", 1)[0] if line.rstrip().endswith("(VALID)") else None
            if current is not None:
                deps[current] = []
        elif current is not None:
            deps[current].append(line.strip())
    return deps


def output_of(command):
    """The -o argument of a compile command (the object file), or None."""
    args = shlex.split(command)
    for i, arg in enumerate(args[:-1]):
        if arg == "-o":
            return args[i + 1]
    return None


def cache_key(entry, deps, source, build, tool_version, config, memo):
    """The key of one compile_commands.json entry's tidy result."""
    def neutral(text):
        return text.replace(build, "<build>").replace(source, "<source>")

    h = hashlib.sha256()
    for part in (tool_version, config, neutral(entry["command"]), neutral(entry["file"])):
        h.update(part.encode())
        h.update(b"\0")
    h.update(file_digest(entry["file"], memo).encode())
    for dep in sorted(deps):
        path = dep if os.path.isabs(dep) else os.path.join(entry["directory"], dep)
        h.update(neutral(os.path.normpath(path)).encode())
        h.update(file_digest(path, memo).encode())
    return h.hexdigest()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    default_cache = os.path.join(
        os.environ.get("G2D_CACHE", os.path.expanduser("~/.cache/git2dataset")), "tidy")
    ap.add_argument("--cache", default=default_cache)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--clang-tidy", default="clang-tidy-14")
    args = ap.parse_args(argv)
    build, source = os.path.realpath(args.build), os.path.realpath(args.source)
    try:
        with open(os.path.join(build, "compile_commands.json")) as f:
            entries = json.load(f)
    except OSError as e:
        print(f"tidy.py: {e} (configure the build first)", file=sys.stderr)
        return 2
    src = os.path.join(source, "src") + os.sep
    entries = [e for e in entries if e["file"].startswith(src) and e["file"].endswith(".cpp")]
    deps_text = subprocess.run(["ninja", "-C", build, "-t", "deps"], capture_output=True,
                               text=True).stdout
    deps = parse_deps(deps_text)
    version = subprocess.run([args.clang_tidy, "--version"], capture_output=True,
                             text=True).stdout
    with open(os.path.join(source, ".clang-tidy")) as f:
        config = f.read()
    os.makedirs(args.cache, exist_ok=True)
    memo, todo = {}, []
    for entry in entries:
        obj = output_of(entry["command"])
        key = None
        if obj is not None and obj in deps:
            key = cache_key(entry, deps[obj], source, build, version, config, memo)
            if os.path.exists(os.path.join(args.cache, key)):
                continue
        todo.append((entry["file"], key))
    print(f"clang-tidy: {len(todo)} of {len(entries)} files to check "
          f"({len(entries) - len(todo)} unchanged since a pass, cache {args.cache})", flush=True)

    def check(item):
        path, key = item
        r = subprocess.run([args.clang_tidy, "-quiet", "-p", build,
                            "-extra-arg=-Wno-unknown-warning-option", path],
                           capture_output=True, text=True)
        if r.returncode == 0 and key is not None:
            with open(os.path.join(args.cache, key), "w") as f:
                f.write(os.path.relpath(path, source) + "\n")
        return path, r

    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for path, r in pool.map(check, todo):
            if r.returncode != 0:
                failed += 1
                sys.stdout.write(f"--- {os.path.relpath(path, source)}\n{r.stdout}{r.stderr}")
    if failed:
        print(f"clang-tidy: {failed} file(s) failed", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
