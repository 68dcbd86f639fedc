"""benchmarks/RESULTS.md holds one current section per benchmark: a recorded run replaces its own."""

from __future__ import annotations

from yeastcell.results_file import record, replace_section, section_key, split_sections

HEAD = "# Benchmark results\n\nHow it is regenerated.\n"
OTHER = "## bench_other — another benchmark\n- date: 2026-12-01 10:00 UTC\n\n| y |\n|---|\n| 7 |\n"


def test_a_second_run_replaces_the_first_and_leaves_the_others(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text(HEAD + "\n" + OTHER)
    record("bench_demo", ["| ms |", "|---|", "| 1.5 |"], title="demo", command="python demo.py", path=path)
    record(
        "bench_demo",
        ["| ms |", "|---|", "| 2.5 |"],
        title="demo",
        command="python demo.py --again",
        path=path,
        note="second run",
    )
    text = path.read_text()
    head, sections = split_sections(text)
    assert [k for k, _ in sections] == ["bench_other", "bench_demo"]
    assert text.count("## bench_demo") == 1
    demo = dict(sections)["bench_demo"]
    assert "| 2.5 |" in demo and "| 1.5 |" not in demo
    assert "- command: `python demo.py --again`" in demo and "- note: second run" in demo
    assert "- date: " in demo and "- machine: " in demo
    assert head == HEAD and dict(sections)["bench_other"] == OTHER  # untouched, byte for byte
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RESULTS.md"]  # no temporary file left


def test_replace_keeps_order_and_drops_duplicates_of_the_key():
    text = HEAD + "\n" + "## a — first\nold a\n\n" + OTHER + "\n## a — again\nolder a\n"
    new = replace_section(text, "a", "## a — first\nnew a\n")
    _, sections = split_sections(new)
    assert [k for k, _ in sections] == ["a", "bench_other"]
    assert dict(sections)["a"] == "## a — first\nnew a\n"
    assert (
        section_key("## bench_simulate --solver bdf on gpu — Simulation throughput")
        == "bench_simulate --solver bdf on gpu"
    )


def test_a_new_key_is_appended_to_an_empty_or_missing_file(tmp_path):
    path = tmp_path / "sub" / "RESULTS.md"
    record("bench_new", ["| z |"], command="c", path=path)
    text = path.read_text()
    assert text.startswith("# Benchmark results\n") and "## bench_new\n" in text
