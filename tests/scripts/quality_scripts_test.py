#!/usr/bin/env python3
"""Tests of the quality benchmark's scripts: report.py's well-formedness rule, its measures on a
real SQLite database of git2dataset's schema (the columns report.py reads), and gguf_info.py's
header reader on a GGUF header written here."""
import contextlib
import io
import json
import os
import sqlite3
import struct
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "quality"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import gguf_info  # noqa: E402
import paired  # noqa: E402
import report  # noqa: E402

CODE = '''def slugify(text, max_length=0, word_boundary=False):
    """Make a slug from the given text."""
    text = _unicode(text)
    return text
'''


class WellFormed(unittest.TestCase):
    def test_a_question_naming_an_identifier_of_its_code(self):
        self.assertEqual(report.problems("What does slugify return when max_length is 0?", CODE), [])
        self.assertTrue(report.well_formed("Why is `text` passed through _unicode first?", CODE))

    def test_an_english_word_is_an_identifier_only_in_backticks(self):
        # "text" and "return" occur in the code, but as English words they name nothing.
        self.assertEqual(report.problems("What does the function return for this text?", CODE),
                         ["no_identifier"])
        self.assertTrue(report.well_formed("What does the function do with `text`?", CODE))

    def test_an_identifier_absent_from_the_code_does_not_count(self):
        self.assertEqual(report.problems("What does parse_config return?", CODE), ["no_identifier"])
        self.assertEqual(report.problems("What does Slugify return?", CODE), ["no_identifier"])

    def test_the_shape_rules(self):
        cases = {
            "What does slugify do": ["no_question_mark", "not_one_question"],
            "What does slugify do? And why is max_length 0?": ["not_one_question"],
            "1. What does slugify do?": ["list_marker_or_quote"],
            "- What does slugify do?": ["list_marker_or_quote"],
            "Q1: What does slugify do?": ["list_marker_or_quote"],
            '"What does slugify do?': ["list_marker_or_quote"],
            "What does slugify do with max_len...?": ["cut_off"],
            "What does `slugify do?": ["cut_off"],
            "What does slugify do?\nWhy?": ["long_or_multiline", "not_one_question"],
            "What does slugify do " + "x" * 200 + "?": ["long_or_multiline"],
        }
        for question, broken in cases.items():
            with self.subTest(question=question):
                self.assertEqual(report.problems(question, CODE), broken)

    def test_a_question_mark_inside_a_code_span_is_not_a_second_question(self):
        self.assertTrue(report.well_formed("When is `text ? a : b` used by slugify?", CODE))

    def test_no_code_means_no_identifier(self):
        self.assertEqual(report.problems("What does slugify do?", None), ["no_identifier"])


class Measures(unittest.TestCase):
    def test_counts_from_a_database_of_the_stored_schema(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "g.db")
            db = sqlite3.connect(path)
            db.executescript("""
                CREATE TABLE FileHashes (file_path TEXT, status TEXT);
                CREATE TABLE FailedFiles (file_path TEXT, error_kind TEXT, error_message TEXT);
                CREATE TABLE SampleUnits (id INTEGER PRIMARY KEY, code TEXT, scope TEXT);
                CREATE TABLE TrainingSamples (id INTEGER PRIMARY KEY, file_path TEXT,
                  question TEXT, answer TEXT, line_start INT, line_end INT, completion_tokens INT,
                  quality_flags TEXT, grounding REAL, duplicate_of INT, near_duplicate_of INT,
                  near_duplicate_similarity REAL, unit_id INT, retired INT);
                INSERT INTO FileHashes VALUES ('a.py', 'done'), ('b.py', 'failed');
                INSERT INTO FailedFiles VALUES ('b.py', 'bad_output', 'no JSON');
            """)
            db.execute("INSERT INTO SampleUnits VALUES (1, ?, 'file')", (CODE,))
            # question, stored flags, grounding, duplicate_of, near_duplicate_of + similarity
            rows = [("What does slugify do?", "truncated", 1.0, None, None, None, 100),
                    ("What is it?", "", 0.0, None, 1, 0.8, 50),
                    ("What does slugify return?", "repetitive", -1.0, 1, None, None, 30),
                    ("Why is max_length 0?", "", 1.0, None, 1, 0.6, 20),
                    ("Old question about slugify?", "", 1.0, None, None, None, 999)]
            for n, (q, flags, g, dup, near, similarity, tokens) in enumerate(rows, 1):
                db.execute("INSERT INTO TrainingSamples VALUES (?, 'r/a.py', ?, 'x', 1, 4, ?, ?, "
                           "?, ?, ?, ?, 1, ?)",
                           (n, q, tokens, flags, g, dup, near, similarity, int(n == 5)))
            db.commit()
            db.close()
            samples, statuses, failed = report.load(path)
            m = report.measure(samples, statuses, failed, exported=1, prepare_seconds=10.0,
                               files_given=2)
        self.assertEqual(m["stored"], 4)  # the retired sample is left out
        self.assertEqual(m["files_failed"], 1)
        self.assertAlmostEqual(m["stored_per_file"], 2.0)
        self.assertAlmostEqual(m["exported_per_file"], 0.5)
        self.assertAlmostEqual(m["well_formed"], 3 / 4)
        self.assertAlmostEqual(m["truncated"], 1 / 4)
        # Stored flags, and those export derives: grounding < 0.5, a duplicate link, a near
        # duplicate link at similarity >= 0.7 (the 0.6 one is linked but kept).
        self.assertEqual(m["flags"], {"truncated": 1, "repetitive": 1, "ungrounded": 1,
                                      "duplicate": 1, "near_duplicate": 1})
        self.assertEqual(m["grounding_measured"], 3)  # -1 is "not measured"
        self.assertAlmostEqual(m["grounding_median"], 1.0)
        self.assertAlmostEqual(m["grounding_ge_half"], 2 / 3)
        self.assertEqual((m["duplicates"], m["near_duplicates"], m["near_duplicates_at_export"]),
                         (1, 2, 1))
        self.assertAlmostEqual(m["completion_tokens_per_sample"], 50)
        self.assertAlmostEqual(m["seconds_per_file"], 5.0)
        self.assertIn("| 2 (1 failed) | 2.00 | 0.50 | 75% | 25% | 1.00 / 67% | 1 / 1 | 50 | 5.0 |",
                      report.table_row("m", m))
        self.assertEqual(report.per_file(samples, ["a.py", "other.py"]), [("r/a.py", 4, 1, 3)])

    def test_the_reading_sample_is_the_same_for_the_same_seed(self):
        samples = [dict(id=i, file_path="a.py", line_start=1, line_end=2, question=f"q{i}?",
                        answer="a", code="x") for i in range(50)]
        self.assertEqual(report.reading("m", samples, 20, 7), report.reading("m", samples, 20, 7))
        self.assertNotEqual(report.reading("m", samples, 20, 7), report.reading("m", samples, 20, 8))
        self.assertEqual(report.reading("m", samples, 20, 7).count("**Question:**"), 20)


    def test_the_exported_reading_draws_only_exported_samples(self):
        samples = [dict(id=i, file_path="a.py", line_start=1, line_end=2, question=f"q{i}?",
                        answer="a", code="x") for i in range(50)]
        kept = report.exported_samples(samples, [{"id": 3}, {"id": 17}, {"id": 99}])
        self.assertEqual([s["id"] for s in kept], [3, 17])
        text = report.reading("m", kept, 20, 7)
        self.assertEqual(text.count("**Question:**"), 2)
        self.assertIn("q17?", text)

def gguf_header(pairs, version=3):
    def string(s):
        b = s.encode()
        return struct.pack("<Q", len(b)) + b
    out = b"GGUF" + struct.pack("<IQQ", version, 0, len(pairs))
    for key, kind, value in pairs:
        out += string(key) + struct.pack("<I", kind)
        if kind == 8:
            out += string(value)
        elif kind == 4:
            out += struct.pack("<I", value)
        elif kind == 9:  # an array of strings
            out += struct.pack("<IQ", 8, len(value)) + b"".join(string(v) for v in value)
    return out


def quiet_main(argv):
    """gguf_info.main with its printing kept out of the test's output."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return gguf_info.main(argv)


class GgufInfo(unittest.TestCase):
    def write(self, data):
        f = tempfile.NamedTemporaryFile(delete=False, suffix=".gguf")
        f.write(data)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_reads_the_names_and_skips_arrays(self):
        path = self.write(gguf_header([
            ("general.name", 8, "Qwen2.5 Coder 0.5B Instruct AWQ"),
            ("tokenizer.ggml.tokens", 9, ["a", "bb", "ccc"]),
            ("general.basename", 8, "Qwen2.5-Coder"),
            ("general.size_label", 8, "0.5B"),
            ("general.finetune", 8, "Instruct-AWQ"),
            ("general.file_type", 4, 15),
        ]))
        meta = gguf_info.read_metadata(path)
        self.assertEqual(meta["general.file_type"], 15)
        self.assertNotIn("tokenizer.ggml.tokens", meta)
        self.assertEqual(gguf_info.names(meta), ["Qwen2.5 Coder 0.5B Instruct AWQ",
                                                 "Qwen2.5-Coder-0.5B-Instruct-AWQ"])
        ok = ["--expect-name", "Qwen2.5-Coder-0.5B-Instruct", "--expect-file-type", "15", path]
        self.assertEqual(quiet_main(ok), 0)
        self.assertEqual(quiet_main(["--expect-name", "Qwen2.5-Coder-1.5B", path]), 1)
        self.assertEqual(quiet_main(["--expect-name", "Qwen2.5-Coder-0.5B-Instr", path]), 1)
        self.assertEqual(quiet_main(["--expect-file-type", "3", path]), 1)

    def test_refuses_what_is_not_a_gguf_header(self):
        self.assertEqual(quiet_main([self.write(b"GGML" + bytes(20))]), 2)
        self.assertEqual(quiet_main([self.write(gguf_header([], version=1))]), 2)
        cut = gguf_header([("general.name", 8, "SmolLM2")])[:-3]
        self.assertEqual(quiet_main([self.write(cut)]), 2)


class PairedReading(unittest.TestCase):
    """paired.py: only questions every run asked are drawn; letters hide the runs; a reader's
    table is tallied back per run."""

    def export(self, folder, name, rows):
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as f:
            for p, q, a in rows:
                f.write(json.dumps({"path": p, "question": q, "answer": a}) + "\n")
        return path

    def test_draws_common_questions_and_tallies_a_reader(self):
        with tempfile.TemporaryDirectory() as d:
            a = self.export(d, "a.jsonl", [("m.py", "What does `f` do?", "A says f"),
                                           ("m.py", "Only in A?", "x"),
                                           ("n.py", "What is `g`?", "A says g")])
            b = self.export(d, "b.jsonl", [("n.py", "What is `g`?", "B says g"),
                                           ("m.py", "What does `f` do?", "B says f"),
                                           ("o.py", "What does `f` do?", "other file")])
            out = os.path.join(d, "out")
            with contextlib.redirect_stdout(io.StringIO()):
                paired.main(["--out", out, "--count", "5", "A=" + a, "B=" + b])
            text = open(os.path.join(out, "reading-paired.md"), encoding="utf-8").read()
            key = json.load(open(os.path.join(out, "reading-paired-key.json"), encoding="utf-8"))
            self.assertEqual(len(key), 2)  # the two questions both asked about the same file
            self.assertNotIn("Only in A?", text)
            self.assertNotIn("other file", text)
            self.assertNotIn("A=", text)
            for q in key.values():
                self.assertEqual(sorted(q), ["X", "Y"])
                self.assertEqual(sorted(q.values()), ["A", "B"])
            # Each letter shows its run's answer.
            for n, q in key.items():
                block = text.split(f"## {n}. ")[1].split("\n## ")[0]
                for letter, run in q.items():
                    self.assertRegex(block, rf"\*\*{letter}:\*\* {run} says")
            # A reader's table: question 1's X correct, Y wrong, X better; question 2 the same.
            table = os.path.join(d, "reader.md")
            with open(table, "w", encoding="utf-8") as f:
                f.write("| # | X | Y | better | why |\n|---|---|---|---|---|\n"
                        "| 1 | correct | wrong | X | |\n| 2 | partly | partly | same | |\n")
            got = io.StringIO()
            with contextlib.redirect_stdout(got):
                paired.main(["--tally", table, "--key",
                             os.path.join(out, "reading-paired-key.json")])
            first_x = key["1"]["X"]
            first_y = key["1"]["Y"]
            self.assertIn(f"{first_x}: correct 1 / partly 1 / wrong 0 of 2, better 1", got.getvalue())
            self.assertIn(f"{first_y}: correct 0 / partly 1 / wrong 1 of 2, better 0", got.getvalue())
            self.assertIn("same: 1", got.getvalue())


if __name__ == "__main__":
    unittest.main()
