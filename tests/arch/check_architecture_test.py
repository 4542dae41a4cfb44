#!/usr/bin/env python3
"""Tests of scripts/check_architecture.py on small trees written to a temporary directory: a tree
that agrees passes, and each kind of drift fails with the file, the line and the edge named."""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                      "check_architecture.py")

ARCHITECTURE = """\
# Architecture

```
app  → base
base → (nothing)
```

## `src/base/` — `g2d_base`
The base: `base.*`, and `app/app.hpp` is not its.
Depends on: none.

## `src/app/` — `g2d_app`
The app, in `src/app/app.cpp`.
Depends on: base (its errors). Also: fmt.
"""


class CheckArchitectureTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        self.write("src/CMakeLists.txt", "add_subdirectory(base)\nadd_subdirectory(app)\n"
                   "add_executable(tool main.cpp)\ntarget_link_libraries(tool PRIVATE g2d_app)\n")
        self.write("src/main.cpp", '#include "app/app.hpp"\n')
        self.write("src/base/CMakeLists.txt", "add_library(g2d_base base.cpp)\n")
        self.write("src/base/base.hpp", "#pragma once\n")
        self.write("src/base/base.cpp", '#include "base/base.hpp"\n#include "tree_sitter/api.h"\n')
        self.write("src/app/CMakeLists.txt",
                   "add_library(g2d_app app.cpp)\n"
                   "target_link_libraries(g2d_app PUBLIC fmt::fmt # g2d_other\n"
                   "                      PRIVATE g2d_base)\n")
        self.write("src/app/app.hpp", "#pragma once\n")
        self.write("src/app/app.cpp", '#include "app/app.hpp"\n#include "base/base.hpp"\n')
        self.write("ARCHITECTURE.md", ARCHITECTURE)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    def edit(self, rel, old, new):
        path = os.path.join(self.root, rel)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertIn(old, text)
        self.write(rel, text.replace(old, new))

    def check(self):
        result = subprocess.run([sys.executable, SCRIPT, self.root], capture_output=True,
                                text=True, check=False)
        return result.returncode, result.stdout

    def assert_fails_with(self, *lines):
        code, out = self.check()
        self.assertEqual(code, 1, out)
        for line in lines:
            self.assertIn(line, out)

    def test_a_tree_that_agrees_passes(self):
        self.assertEqual(self.check(), (0, ""))

    def test_an_include_without_a_direct_link_names_the_file_line_and_edge(self):
        self.write("src/base/util.hpp", '#pragma once\n\n#include "app/app.hpp"\n')
        self.assert_fails_with('src/base/util.hpp:3: #include "app/app.hpp" is the edge base → app',
                               "does not link g2d_app to g2d_base")

    def test_an_edge_passed_on_as_public_does_not_count(self):
        self.write("src/top/CMakeLists.txt",
                   "add_library(g2d_top top.cpp)\ntarget_link_libraries(g2d_top PUBLIC g2d_app)\n")
        self.write("src/top/top.cpp", '#include "app/app.hpp"\n#include "base/base.hpp"\n')
        self.assert_fails_with('src/top/top.cpp:2: #include "base/base.hpp" is the edge top → base')

    def test_a_nested_library_is_its_own_folder(self):
        self.write("src/app/sub/CMakeLists.txt", "add_library(g2d_sub sub.cpp)\n")
        self.write("src/app/sub/sub.cpp", '#include "app/app.hpp"\n')
        self.assert_fails_with('src/app/sub/sub.cpp:1: #include "app/app.hpp" is the edge '
                               "app/sub → app")

    def test_a_link_the_docs_leave_out_fails_in_the_diagram_and_the_section(self):
        self.edit("ARCHITECTURE.md", "app  → base", "app  → (nothing)")
        self.edit("ARCHITECTURE.md", "Depends on: base (its errors).", "Depends on: none.")
        self.assert_fails_with("ARCHITECTURE.md:4: the diagram: app → base is missing "
                               "(CMake links it: src/app/CMakeLists.txt:2)",
                               "ARCHITECTURE.md:14: 'Depends on:': app → base is missing")

    def test_a_documented_edge_cmake_does_not_link_fails(self):
        self.edit("ARCHITECTURE.md", "base → (nothing)", "base → app")
        self.assert_fails_with("ARCHITECTURE.md:5: the diagram: base → app is documented, but "
                               "src/base/CMakeLists.txt does not link it")

    def test_a_new_folder_needs_a_diagram_line_and_a_section(self):
        self.write("src/extra/CMakeLists.txt", "add_library(g2d_extra extra.cpp)\n")
        self.assert_fails_with("the diagram has no line for extra",
                               "no section '## `src/extra/` — `...`' for src/extra/")

    def test_a_cycle_fails(self):
        self.edit("src/base/CMakeLists.txt", "base.cpp)\n",
                  "base.cpp)\ntarget_link_libraries(g2d_base PRIVATE g2d_app)\n")
        self.assert_fails_with("the link graph has a cycle")

    def test_a_path_the_docs_name_must_exist(self):
        os.remove(os.path.join(self.root, "src/app/app.cpp"))
        self.assert_fails_with("ARCHITECTURE.md:13: names src/app/app.cpp, which does not exist")

    def test_a_file_a_section_names_must_exist(self):
        self.edit("ARCHITECTURE.md", "`base.*`", "`gone.*`")
        self.assert_fails_with("ARCHITECTURE.md:9: the section for src/base/ names gone.*, but "
                               "src/base/gone.* does not exist")


if __name__ == "__main__":
    unittest.main()
