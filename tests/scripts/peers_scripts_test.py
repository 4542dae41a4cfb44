#!/usr/bin/env python3
"""Tests of the peers benchmark's measures (scripts/peers/peers.py): counting usable pairs in each
tool's real output shape (synthetic-data-kit's *_qa_pairs.json files, git2dataset's raw JSONL, a
SQLite database of git2dataset's TrainingSamples columns), llama-server's /metrics text, the
table and the blind reading. No model, no server."""
import json
import math
import os
import sqlite3
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "peers"))

import peers  # noqa: E402

# As llama-server (built with --metrics) prints it, shortened.
METRICS = """# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.
# TYPE llamacpp:prompt_tokens_total counter
llamacpp:prompt_tokens_total 1234
# HELP llamacpp:prompt_seconds_total Prompt process time
llamacpp:prompt_seconds_total 5.5
# TYPE llamacpp:tokens_predicted_total counter
llamacpp:tokens_predicted_total 567
llamacpp:tokens_predicted_seconds_total 9.25
"""


class Usable(unittest.TestCase):
    def test_a_question_ending_in_a_question_mark_with_an_answer(self):
        self.assertTrue(peers.usable("What does slugify return? ", "A slug."))

    def test_what_is_not_usable(self):
        self.assertFalse(peers.usable("Explain slugify.", "A slug."))
        self.assertFalse(peers.usable("What does slugify return?", "  \n"))
        self.assertFalse(peers.usable(None, "A slug."))
        self.assertFalse(peers.usable("What?", ["a", "list"]))


class ToolOutputs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_synthetic_data_kit_pairs_keep_their_corpus_path(self):
        self.write("a__b.py_qa_pairs.json", json.dumps({"summary": "s", "qa_pairs": [
            {"question": "What is b?", "answer": "B."},
            {"question": "Describe b", "answer": "B."},
            "not an object"]}))
        names = {"a__b.py.txt": "a/b.py", "c.js.txt": "c.js"}  # c.js: the tool wrote nothing
        pairs = peers.sdk_pairs(self.dir, names)
        self.assertEqual([p["file"] for p in pairs], ["a/b.py"] * 3)
        self.assertEqual(sum(peers.usable(p["question"], p["answer"]) for p in pairs), 1)

    def test_synthetic_data_kit_output_of_another_shape_is_an_error(self):
        self.write("x.py_qa_pairs.json", json.dumps([{"question": "Q?", "answer": "A"}]))
        with self.assertRaises(ValueError):
            peers.sdk_pairs(self.dir, {"x.py.txt": "x.py"})

    def test_git2dataset_raw_export(self):
        path = self.write("dataset.jsonl", "\n".join(json.dumps(s) for s in [
            {"question": "Why is `x` cached?", "answer": "To reuse it.", "path": "a.py"},
            {"question": "Why?", "answer": "", "path": "b.py"}]) + "\n")
        pairs = peers.g2d_pairs(path)
        self.assertEqual([p["file"] for p in pairs], ["a.py", "b.py"])
        self.assertEqual(sum(peers.usable(p["question"], p["answer"]) for p in pairs), 1)

    def test_a_line_of_another_format_is_an_error(self):
        path = self.write("dataset.jsonl", json.dumps({"messages": []}) + "\n")
        with self.assertRaises(ValueError):
            peers.g2d_pairs(path)

    def test_the_databases_token_counts(self):
        path = os.path.join(self.dir, "git2dataset.db")
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE TrainingSamples (id INTEGER PRIMARY KEY, "
                       "prompt_tokens INTEGER, completion_tokens INTEGER)")
            db.executemany("INSERT INTO TrainingSamples (prompt_tokens, completion_tokens) "
                           "VALUES (?, ?)", [(100, 20), (150, 30)])
        db.close()
        self.assertEqual(peers.db_tokens(path), {"prompt_tokens": 250.0, "predicted_tokens": 50.0})


# Two finished requests as llama-server logs them, among other lines.
SERVER_LOG = """0.12.802.680 I slot print_timing: id  3 | task 1 | prompt eval time =    5830.55 ms /   412 tokens
0.12.802.691 I slot print_timing: id  3 | task 1 |        eval time =    3745.94 ms /    69 tokens
0.12.802.700 I slot      release: id  3 | task 1 | stop processing: n_tokens = 480, truncated = 0
0.24.468.816 I slot print_timing: id  2 | task 71 | prompt eval time =    6378.53 ms /   478 tokens
"""


class Metrics(unittest.TestCase):
    def test_calls_are_the_finished_requests_of_the_servers_log(self):
        self.assertEqual(peers.count_calls(SERVER_LOG), 2)
        self.assertEqual(peers.count_calls(""), 0)

    def test_the_two_counters(self):
        self.assertEqual(peers.parse_metrics(METRICS),
                         {"prompt_tokens": 1234.0, "predicted_tokens": 567.0})

    def test_a_server_without_metrics_is_an_error(self):
        with self.assertRaises(ValueError):
            peers.parse_metrics("llamacpp:prompt_tokens_total 1\n")


class Table(unittest.TestCase):
    def test_rows_and_ratios_against_the_first_tool(self):
        ok = {"question": "Q?", "answer": "A", "file": "f"}
        bad = {"question": "Q", "answer": "A", "file": "f"}
        ref = peers.measure("peer", [ok] * 6 + [bad] * 2, 120, 3,
                            {"prompt_tokens": 3000, "predicted_tokens": 600}, calls=9)
        self.assertEqual((ref["usable"], ref["pairs"]), (6, 8))
        self.assertAlmostEqual(ref["usable_per_minute"], 3.0)
        self.assertAlmostEqual(ref["predicted_per_usable"], 100.0)
        self.assertAlmostEqual(ref["prompt_per_file"], 1000.0)
        ours = peers.measure("ours", [ok] * 9, 60, 3, {"prompt_tokens": 900, "predicted_tokens": 0},
                             tokens_note="answers only")
        text = peers.table([ref, ours])
        lines = text.splitlines()
        self.assertEqual(len(lines), 4)
        self.assertIn("| peer | 6 (8) | 120 | 3.0 | 1.00x | 1.50 | 100 | 1000 |", lines[2])
        self.assertIn("| ours | 9 (9) | 60 | 9.0 | 3.00x | - | 0 (answers only) | "
                      "300 (answers only) |", lines[3])

    def test_no_usable_pair_is_not_a_number_not_a_crash(self):
        r = peers.measure("peer", [], 10, 2, {"prompt_tokens": 10, "predicted_tokens": 10})
        self.assertTrue(math.isnan(r["predicted_per_usable"]))
        self.assertIn("| peer | 0 (0) |", peers.table([r]))


class Median(unittest.TestCase):
    def test_the_run_of_median_speed_stands_for_all_and_the_table_lists_each(self):
        ok = {"question": "Q?", "answer": "A", "file": "f"}
        tokens = {"prompt_tokens": 10, "predicted_tokens": 10}
        runs = [peers.measure("peer", [ok] * 6, s, 3, tokens) for s in (120, 60, 240)]
        row = peers.median_run(runs)
        self.assertEqual(row["seconds"], 120)  # 3.0 / min: the middle of 1.5, 3.0 and 6.0
        self.assertEqual(row["runs"], [120, 60, 240])
        line = peers.table([row]).splitlines()[2]
        self.assertIn("| peer (median of 3 runs: 120, 60, 240 s) | 6 (6) | 120 | 3.0 |", line)
        # An even count: the faster of the two middle runs (the ratios against the peer are not
        # flattered by its slower run).
        two = peers.median_run(runs[:2])
        self.assertEqual(two["seconds"], 60)
        self.assertNotIn("runs", peers.median_run(runs[:1]))


class Reading(unittest.TestCase):
    def test_a_fixed_seed_draws_the_same_usable_pairs(self):
        pairs = [{"question": f"Q{i}?", "answer": f"A{i}", "file": f"f{i}.py"} for i in range(30)]
        pairs.append({"question": "not a question", "answer": "A", "file": "x.py"})
        text = peers.reading("Reading A", pairs, 20, 2026)
        self.assertEqual(text, peers.reading("Reading A", pairs, 20, 2026))
        self.assertEqual(text.count("**Q:**"), 20)
        self.assertNotIn("not a question", text)
        self.assertTrue(text.startswith("# Reading A: 20 of 30 usable pairs"))



class Config(unittest.TestCase):
    def test_each_run_names_its_backend_and_generation_mode(self):
        text = peers.g2d_config({"backend": "openai", "base_url": "http://127.0.0.1:1", "model": "m"},
                                "pairs", 3, 256)
        self.assertIn('  backend: "openai"\n', text)
        self.assertIn('  base_url: "http://127.0.0.1:1"\n', text)
        self.assertIn("  questions_per_file: 3\n", text)
        self.assertIn("  default_max_tokens: 256\n", text)
        self.assertIn("generation:\n  mode: pairs\n", text)
        self.assertIn("resources:\n  enable_battery_monitoring: false\n", text)


if __name__ == "__main__":
    unittest.main()
