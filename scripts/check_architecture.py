#!/usr/bin/env python3
"""check_architecture.py — the folder dependencies, checked three ways against each other.

    scripts/check_architecture.py [ROOT]      (ROOT: the repository, default: this script's parent)

1. Includes against CMake: a file under src/<a>/ that writes `#include "<b>/..."` (b another folder
   with its own CMake library) needs a's CMakeLists.txt to name b's library in its own
   target_link_libraries, PUBLIC or PRIVATE. Only direct link edges count: a library that a
   dependency passes on as PUBLIC does not, although CMake would let the include compile. So each
   folder's CMakeLists.txt lists everything the folder includes, and dropping a PUBLIC edge lower
   down can never silently hide a dependency.
2. ARCHITECTURE.md against CMake: the overview diagram (`a → b, c`) and each folder's section line
   `Depends on: b, c.` list exactly the folders whose libraries that folder's CMakeLists.txt links.
   The link graph must be acyclic.
3. Paths: every `src/`, `tests/`, `scripts/`, `cmake/`, `docs/` or `bench/` path that
   ARCHITECTURE.md or README.md names exists (a `*` in it is a glob), and so does every source
   file a section of ARCHITECTURE.md names in backquotes (`plan.*`, `terminal.hpp`: in the
   section's folder; `llm/server_errors.*`: under src/).

Prints one line per problem, `FILE:LINE: what`, and exits 1 if there is any; exits 0 silently when
all agree. Python 3 standard library only. Run by CTest (tests/arch/, the unit tier).
"""

import glob
import os
import re
import sys

SOURCE_SUFFIXES = (".cpp", ".hpp", ".h", ".cc", ".c", ".cpp.in", ".hpp.in")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
CMAKE_COMMAND_RE = re.compile(r"\b(add_library|add_executable|target_link_libraries)\s*\(")
CMAKE_KEYWORDS = {"PUBLIC", "PRIVATE", "INTERFACE", "STATIC", "SHARED", "OBJECT", "MODULE",
                  "ALIAS", "IMPORTED", "GLOBAL", "EXCLUDE_FROM_ALL", "LINK_PUBLIC",
                  "LINK_PRIVATE", "LINK_INTERFACE_LIBRARIES", "WIN32", "MACOSX_BUNDLE"}
SECTION_RE = re.compile(r"^## `src/(.+?)/` — `([A-Za-z0-9_]+)`")
DEPENDS_RE = re.compile(r"^Depends on: ")
PATH_RE = re.compile(r"(?<![\w/.-])((?:src|tests|scripts|cmake|docs|bench)/[A-Za-z0-9_./*-]*)")
SECTION_DIR_RE = re.compile(r"^## `([A-Za-z0-9_./-]+)/`")
SOURCE_NAME_RE = re.compile(r"`([A-Za-z0-9_/]+\.(?:\*|hpp|cpp|h))`")
PATH_DOCS = ("ARCHITECTURE.md", "README.md")
# Paths the docs name that are not this repository's: README's export example shows a sample
# about a file of the user's repository.
EXAMPLE_PATHS = {"src/add.c"}


class Checker:
    def __init__(self, root):
        self.root = root
        self.src = os.path.join(root, "src")
        self.problems = []
        self.folder_targets = {}  # folder ("" for src/ itself) -> {target: "file:line"}
        self.target_folder = {}   # target -> folder
        self.links = {}           # folder -> {dep folder: "file:line" of the link}

    def problem(self, where, what):
        self.problems.append(f"{where}: {what}")

    def rel(self, path):
        return os.path.relpath(path, self.root)

    # --- CMake ---------------------------------------------------------------------------------

    @staticmethod
    def cmake_commands(text):
        """(command, [arguments], line) for the commands this check reads, comments removed."""
        lines = [re.sub(r"#.*", "", line) for line in text.split("\n")]
        code = "\n".join(lines)
        for match in CMAKE_COMMAND_RE.finditer(code):
            depth, i = 1, match.end()
            while i < len(code) and depth:
                depth += {"(": 1, ")": -1}.get(code[i], 0)
                i += 1
            args = code[match.end():i - 1].split()
            yield match.group(1), args, code.count("\n", 0, match.start()) + 1

    def cmake_files(self):
        for dirpath, dirnames, filenames in os.walk(self.src):
            dirnames.sort()
            if "CMakeLists.txt" in filenames:
                yield os.path.join(dirpath, "CMakeLists.txt")

    def folder_of_dir(self, directory):
        folder = os.path.relpath(directory, self.src)
        return "" if folder == "." else folder.replace(os.sep, "/")

    def read_cmake(self):
        commands = []
        for path in self.cmake_files():
            with open(path, encoding="utf-8") as f:
                text = f.read()
            folder = self.folder_of_dir(os.path.dirname(path))
            for command, args, line in self.cmake_commands(text):
                commands.append((folder, f"{self.rel(path)}:{line}", command, args))
        for folder, where, command, args in commands:
            if command in ("add_library", "add_executable") and args:
                if "ALIAS" in args or "IMPORTED" in args:
                    continue
                self.folder_targets.setdefault(folder, {})[args[0]] = where
                self.target_folder[args[0]] = folder
        for folder, where, command, args in commands:
            if command != "target_link_libraries" or not args:
                continue
            owner = self.target_folder.get(args[0])
            if owner is None:
                continue  # a target of another project (or a test's)
            for dep in args[1:]:
                dep_folder = self.target_folder.get(dep)
                if dep in CMAKE_KEYWORDS or dep_folder is None or dep_folder == owner:
                    continue
                self.links.setdefault(owner, {}).setdefault(dep_folder, where)

    def folders(self):
        """The folders with a library of their own (not src/ itself: it holds the executable)."""
        return sorted(f for f in self.folder_targets if f)

    def folder_of_path(self, path):
        """The folder that owns a path relative to src/: the longest folder it lies under."""
        best = None
        for folder in self.folder_targets:
            if folder and (path == folder or path.startswith(folder + "/")):
                if best is None or len(folder) > len(best):
                    best = folder
        return best

    def link_list(self, folder):
        return sorted(self.links.get(folder, {}))

    def check_acyclic(self):
        state = {}

        def visit(folder, stack):
            state[folder] = "open"
            for dep in sorted(self.links.get(folder, {})):
                if state.get(dep) == "open":
                    cycle = stack[stack.index(dep):] + [dep] if dep in stack else [folder, dep]
                    self.problem(self.links[folder][dep],
                                 "the link graph has a cycle: " + " → ".join(cycle))
                elif dep not in state:
                    visit(dep, stack + [dep])
            state[folder] = "done"

        for folder in sorted(self.links):
            if folder not in state:
                visit(folder, [folder])

    # --- includes ------------------------------------------------------------------------------

    def check_includes(self):
        for dirpath, dirnames, filenames in os.walk(self.src):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(dirpath, name)
                rel_to_src = os.path.relpath(path, self.src).replace(os.sep, "/")
                owner = self.folder_of_path(rel_to_src)
                if owner is None:
                    owner = ""  # a file directly in src/ (main.cpp): the executable's
                self.check_file_includes(path, owner)

    def check_file_includes(self, path, owner):
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        for number, line in enumerate(lines, 1):
            match = INCLUDE_RE.match(line)
            if not match or "/" not in match.group(1):
                continue
            dep = self.folder_of_path(match.group(1))
            if dep is None or dep == owner:
                continue  # third-party ("tree_sitter/api.h") or the folder's own header
            if dep in self.links.get(owner, {}):
                continue
            owner_name = owner or "src/ (the executable)"
            targets = ", ".join(sorted(self.folder_targets.get(owner, {}))) or "?"
            dep_targets = " or ".join(sorted(self.folder_targets[dep]))
            cmake = f"src/{owner}/CMakeLists.txt" if owner else "src/CMakeLists.txt"
            self.problem(f"{self.rel(path)}:{number}",
                         f'#include "{match.group(1)}" is the edge {owner_name} → {dep}, but '
                         f"{cmake} does not link {dep_targets} to {targets} "
                         f"(add it to target_link_libraries"
                         + (", and to ARCHITECTURE.md)" if owner else ")"))

    # --- ARCHITECTURE.md -----------------------------------------------------------------------

    @staticmethod
    def parse_list(text):
        """`b (why), c, d.` -> ["b", "c", "d"]; "none" -> []."""
        text = re.sub(r"\([^)]*\)", "", text).replace("`", "")
        names = [n.strip() for n in text.split(",")]
        names = [n for n in names if n]
        return [] if names == ["none"] else names

    def compare(self, where, what, folder, listed):
        """One documented dependency list against CMake's."""
        if folder not in self.folder_targets or not folder:
            self.problem(where, f"{what} names src/{folder}/, which has no CMake library")
            return
        wanted = set(self.link_list(folder))
        for name in sorted(set(listed) - wanted):
            known = name in self.folder_targets
            self.problem(where, f"{what}: {folder} → {name} is documented, but "
                         + (f"src/{folder}/CMakeLists.txt does not link it" if known
                            else f"there is no folder src/{name}/ with a library"))
        for name in sorted(wanted - set(listed)):
            self.problem(where, f"{what}: {folder} → {name} is missing "
                         f"(CMake links it: {self.links[folder][name]})")
        if len(listed) != len(set(listed)):
            self.problem(where, f"{what}: {folder}'s list names a folder twice")

    def check_architecture_md(self):
        path = os.path.join(self.root, "ARCHITECTURE.md")
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        name = "ARCHITECTURE.md"
        self.check_diagram(name, lines)
        self.check_sections(name, lines)

    def check_diagram(self, name, lines):
        """The first fenced block with arrows: `a, b → c, d`, continued on indented lines."""
        entries, in_block, seen_block = [], False, False
        for number, line in enumerate(lines, 1):
            if line.startswith("```"):
                if in_block:
                    if entries:
                        seen_block = True
                        break
                in_block = not in_block
                continue
            if not in_block:
                continue
            if "→" in line:
                left, right = line.split("→", 1)
                entries.append([number, left, right])
            elif entries and line.startswith(" ") and line.strip():
                entries[-1][2] += " " + line.strip()
        if not seen_block:
            self.problem(f"{name}:1", "no dependency diagram (a fenced block of `a → b, c` lines)")
            return
        described = {}
        for number, left, right in entries:
            listed = self.parse_list(right)
            for folder in self.parse_list(left):
                where = f"{name}:{number}"
                if folder in described:
                    self.problem(where, f"the diagram lists {folder} twice "
                                 f"(first at line {described[folder]})")
                described[folder] = number
                self.compare(where, "the diagram", folder, listed)
        for folder in self.folders():
            if folder not in described:
                self.problem(f"{name}:{entries[0][0]}",
                             f"the diagram has no line for {folder} "
                             f"(links: {', '.join(self.link_list(folder)) or 'none'})")

    def check_sections(self, name, lines):
        sections = {}  # folder -> (line, target, [depends-on lines])
        current = None
        for number, line in enumerate(lines, 1):
            if line.startswith("## "):
                match = SECTION_RE.match(line)
                current = match.group(1) if match else None
                if current is not None:
                    if current in sections:
                        self.problem(f"{name}:{number}", f"a second section for src/{current}/")
                    sections[current] = (number, match.group(2), [])
                continue
            if current is not None and DEPENDS_RE.match(line):
                text = line[len("Depends on: "):]
                follow = number
                while not re.search(r"\.(\s|$)", text) and follow < len(lines) \
                        and lines[follow].strip():
                    text += " " + lines[follow].strip()
                    follow += 1
                end = re.search(r"\.(\s|$)", text)
                listed = self.parse_list(text[:end.start()] if end else text)
                sections[current][2].append((number, listed))
        for folder, (number, target, depends) in sorted(sections.items()):
            where = f"{name}:{number}"
            if folder not in self.folder_targets:
                self.problem(where, f"a section for src/{folder}/, which has no CMake library")
                continue
            if target not in self.folder_targets[folder]:
                self.problem(where, f"src/{folder}/'s library is "
                             f"{', '.join(sorted(self.folder_targets[folder]))}, not {target}")
            if len(depends) != 1:
                self.problem(where, f"src/{folder}/'s section needs exactly one line that starts "
                             f"'Depends on: ' (has {len(depends)}): "
                             f"Depends on: {', '.join(self.link_list(folder)) or 'none'}.")
            for depends_line, listed in depends:
                self.compare(f"{name}:{depends_line}", "'Depends on:'", folder, listed)
        for folder in self.folders():
            if folder not in sections:
                self.problem(f"{name}:1", f"no section '## `src/{folder}/` — `...`' for "
                             f"src/{folder}/")

    # --- paths ---------------------------------------------------------------------------------

    def check_paths(self):
        for doc in PATH_DOCS:
            path = os.path.join(self.root, doc)
            if not os.path.exists(path):
                continue
            with open(path, encoding="utf-8") as f:
                lines = f.read().split("\n")
            for number, line in enumerate(lines, 1):
                for match in PATH_RE.finditer(line):
                    named = match.group(1).rstrip(".,;:")
                    if named in EXAMPLE_PATHS:
                        continue
                    full = os.path.join(self.root, named)
                    found = glob.glob(full) if "*" in named else os.path.exists(full)
                    if not found:
                        self.problem(f"{doc}:{number}", f"names {named}, which does not exist")

    def check_section_files(self):
        """`name.*` / `name.hpp` in a section names a file of the section's folder."""
        name = "ARCHITECTURE.md"
        with open(os.path.join(self.root, name), encoding="utf-8") as f:
            lines = f.read().split("\n")
        folder = None
        for number, line in enumerate(lines, 1):
            if line.startswith("## "):
                match = SECTION_DIR_RE.match(line)
                folder = match.group(1) if match else None
                continue
            if folder is None:
                continue
            for match in SOURCE_NAME_RE.finditer(line):
                named = match.group(1)
                if named.startswith(("src/", "tests/", "bench/", "scripts/")):
                    continue  # a path from the root: check_paths
                where = os.path.join("src", named) if "/" in named else os.path.join(folder, named)
                full = os.path.join(self.root, where)
                if not (glob.glob(full) if "*" in named else os.path.exists(full)):
                    self.problem(f"{name}:{number}",
                                 f"the section for {folder}/ names {named}, but {where} "
                                 "does not exist")

    def run(self):
        if not os.path.isdir(self.src):
            self.problem(self.root, "no src/ folder")
            return self.problems
        self.read_cmake()
        self.check_acyclic()
        self.check_includes()
        self.check_architecture_md()
        self.check_paths()
        self.check_section_files()
        return self.problems


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    problems = Checker(root).run()
    for line in problems:
        print(line)
    if problems:
        print(f"check_architecture: {len(problems)} problem(s); ARCHITECTURE.md says how folders "
              "may depend on each other", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
