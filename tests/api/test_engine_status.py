"""get_status()["engine"]: which V8 runs the code and how fresh-context runs get a new realm,
checked against what the runs actually did."""

from __future__ import annotations

from code_interpreter import create_sandbox, v8_version


def test_status_names_the_v8_inside() -> None:
    with create_sandbox() as box:
        engine = box.get_status()["engine"]
    assert engine["v8_version"] == v8_version()
    assert engine["v8_version"].split(".")[0].isdigit()


def test_the_fresh_context_strategy_is_what_the_runs_did() -> None:
    with create_sandbox() as box:
        for _ in range(20):
            assert box.interpret("1 + 2") == "3"
        status = box.get_status()
    strategy = status["engine"]["fresh_context_strategy"]
    recycled = status["isolates"]["contexts_recycled"]
    assert strategy in {"recycled", "new"}
    assert status["engine"]["side_effect_free_evaluation"] is (strategy == "recycled")
    # Code that writes to nothing is served by the recycled context where this V8 can prove
    # it; without that proof every run has a new context.
    assert (recycled > 0) if strategy == "recycled" else (recycled == 0)


def test_a_persistent_context_has_no_fresh_context_strategy() -> None:
    with create_sandbox(persistent_context=True) as box:
        box.interpret("globalThis.kept = 1")
        assert box.interpret("kept") == "1"
        assert box.get_status()["engine"]["fresh_context_strategy"] == "persistent"
