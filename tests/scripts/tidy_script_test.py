#!/usr/bin/env python3
"""Tests of scripts/tidy.py's cache key (the check-tidy target): what ninja's dependency records
say, the object a compile command writes, and a key that changes with every input of clang-tidy's
result and with nothing else. No clang-tidy run."""
import os
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import tidy  # noqa: E402

DEPS = """src/a.cpp.o: #deps 2, deps mtime 1796593058202544535 (VALID)
    ../../src/a.cpp
    ../../src/a.hpp

src/b.cpp.o: #deps 1, deps mtime 1796593058202544535 (STALE)
    ../../src/b.cpp

"""


class Deps(unittest.TestCase):
    def test_valid_records_are_read_and_stale_ones_left_out(self):
        self.assertEqual(tidy.parse_deps(DEPS), {"src/a.cpp.o": ["../../src/a.cpp",
                                                                 "../../src/a.hpp"]})

    def test_the_object_a_command_writes(self):
        self.assertEqual(tidy.output_of("/usr/bin/c++ -Isrc -o src/a.cpp.o -c ../../src/a.cpp"),
                         "src/a.cpp.o")
        self.assertIsNone(tidy.output_of("/usr/bin/c++ -c a.cpp"))


class Key(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def clone(self, name, header="int a();\n"):
        """A source folder with src/a.cpp including src/a.hpp, and its build folder."""
        source = os.path.join(self.tmp.name, name)
        os.makedirs(os.path.join(source, "src"))
        os.makedirs(os.path.join(source, "build"))
        with open(os.path.join(source, "src", "a.cpp"), "w") as f:
            f.write('#include "a.hpp"\n')
        with open(os.path.join(source, "src", "a.hpp"), "w") as f:
            f.write(header)
        build = os.path.join(source, "build")
        entry = {"directory": build, "file": os.path.join(source, "src", "a.cpp"),
                 "command": f"c++ -I{source}/src -o src/a.cpp.o -c {source}/src/a.cpp"}
        return source, build, entry, ["../src/a.cpp", "../src/a.hpp"]

    def key(self, source, build, entry, deps, version="14", config="Checks: '*'"):
        return tidy.cache_key(entry, deps, source, build, version, config, {})

    def test_another_clone_of_the_same_sources_shares_the_key(self):
        one = self.key(*self.clone("one"))
        self.assertEqual(one, self.key(*self.clone("two")))

    def test_a_header_the_file_includes_changes_the_key(self):
        self.assertNotEqual(self.key(*self.clone("one")),
                            self.key(*self.clone("two", header="int a(int);\n")))

    def test_the_tool_and_its_configuration_change_the_key(self):
        source, build, entry, deps = self.clone("one")
        base = self.key(source, build, entry, deps)
        self.assertNotEqual(base, self.key(source, build, entry, deps, version="15"))
        self.assertNotEqual(base, self.key(source, build, entry, deps, config="Checks: '-*'"))
        entry = dict(entry, command=entry["command"] + " -DNDEBUG")
        self.assertNotEqual(base, self.key(source, build, entry, deps))


if __name__ == "__main__":
    unittest.main()
