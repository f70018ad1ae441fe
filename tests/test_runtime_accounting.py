"""The runtime accounts for every candidate of every region (issue #17 item 5): on a real exported bundle, what it
asked the model for is either kept or counted under a reason; nothing is lost without a word."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from export_fixtures import tiny_bundle
from test_runtime import USER

from speedhints.model_export.accounting import (
    BELOW_PRECISION,
    TIME_BUDGET,
    TOO_LONG,
    UNFINISHED,
    RegionOutcome,
    ReportingSuggester,
    dropped_json,
    reason_key,
)
from speedhints.model_export.bundle import load_bundle
from speedhints.model_export.runtime import OnnxSuggester, RuntimeConfig, load_runtime

SLOW = "def keep(names, allowed):\n    kept = []\n    for name in names:\n        if name in allowed:\n" \
       "            kept.append(name)\n    return kept\n"

TOTAL = "def total(xs):\n    s = 0\n    for x in xs:\n        s = s + x\n    return s\n"


@pytest.fixture(scope="module")
def runtime() -> OnnxSuggester:
    return load_runtime(tiny_bundle(), RuntimeConfig(min_precision=0.0))  # the tiny model is unmeasured


def long_run(runtime: OnnxSuggester) -> str:
    """Module-level statements whose canonical form has more tokens than the model reads (a function this long is
    checked in parts: tests/test_parts.py; a run of module-level statements is not cut)."""
    body = "".join(f"total = total + values[{i}] * {i + 1}\n" for i in range(runtime.spec.max_len // 4))
    return "values = list(range(100))\ntotal = 0\n" + body


def long_function(runtime: OnnxSuggester) -> str:
    """A function whose canonical form has more tokens than the model reads: checked in parts."""
    body = "".join(f"    total = total + values[{i}] * {i + 1}\n" for i in range(runtime.spec.max_len // 4))
    return "def summed(values):\n    total = 0\n" + body + "    return total\n"


def accounted(outcome: RegionOutcome) -> int:
    return outcome.passed + sum(outcome.dropped.values())


def test_reasons_are_counted_by_key() -> None:
    assert reason_key("new effect: writes output") == "new effect"
    assert reason_key("undefined name: x") == "undefined name"
    assert reason_key("a rewrite, not an edit") == "a rewrite, not an edit"
    assert dropped_json(Counter({"b": 2, "a": 2, "c": 5, "z": 0})) == {"c": 5, "a": 2, "b": 2}


def test_every_asked_latent_is_kept_or_counted(runtime: OnnxSuggester) -> None:
    assert isinstance(runtime, ReportingSuggester)
    for top_k in (1, 2, 64):
        report = runtime.report("shop.py", USER, [(9, 9)], top_k=top_k)
        [outcome] = report.regions.values()
        assert (outcome.name, outcome.span) == ("keep_known", (7, 12))
        assert accounted(outcome) == min(top_k, runtime.spec.codebook_size)
        assert outcome.hints == len(report.hints) <= outcome.passed
        assert runtime.last_dropped == outcome.dropped
    assert runtime.spec.codebook_size > 2


def test_a_region_too_long_for_the_model_is_counted_and_the_others_still_answered(runtime: OnnxSuggester) -> None:
    source = SLOW + "\n\n" + long_run(runtime)
    report = runtime.report("m.py", source, [(1, len(source.splitlines()))], top_k=4)
    short, long = sorted(report.regions.values(), key=lambda o: o.start)
    assert long.name == "<module>" and dict(long.dropped) == {TOO_LONG: 1} and long.passed == 0 and not long.parts
    assert long.detail.endswith(f"tokens, the model reads at most {runtime.spec.max_len}")
    assert accounted(short) == 4
    assert runtime.last_dropped == short.dropped + long.dropped  # the whole call, not its last region


def test_candidates_that_never_reach_the_end_are_counted_unfinished() -> None:
    # No room to grow: every row hits its 16-token limit before EOS.
    tight = OnnxSuggester(load_bundle(tiny_bundle()), RuntimeConfig(max_growth=0.0, min_precision=0.0))
    report = tight.report("m.py", SLOW, [(1, 6)], top_k=4)
    [outcome] = report.regions.values()
    assert (dict(outcome.dropped), report.hints) == ({UNFINISHED: 4}, [])


def test_a_passed_deadline_leaves_every_region_counted_and_undecoded(runtime: OnnxSuggester) -> None:
    source = SLOW + "\n\n" + USER
    report = runtime.report("m.py", source, [(1, 100)], top_k=4, deadline=5.0, clock=lambda: 5.0)
    assert len(report.regions) == 3 and report.hints == []
    assert all(dict(o.dropped) == {TIME_BUDGET: 1} for o in report.regions.values())


def test_a_deadline_between_batches_stops_decoding_and_says_which_regions(runtime: OnnxSuggester) -> None:
    now = [0.0]
    done: list[int] = []

    def progress(n: int) -> None:
        done.append(n)
        now[0] += 10.0  # each batch takes "ten seconds"

    one_per_batch = OnnxSuggester(load_bundle(tiny_bundle()), RuntimeConfig(batch_tokens=1, min_precision=0.0))
    source = SLOW + "\n\n" + TOTAL + "\n\n" + USER
    report = one_per_batch.report("m.py", source, [(1, 100)], top_k=2, deadline=5.0, clock=lambda: now[0],
                                  progress=progress)
    late = [o for o in report.regions.values() if o.dropped.get(TIME_BUDGET)]
    [decoded] = [o for o in report.regions.values() if o not in late]
    assert (done, len(late), accounted(decoded)) == ([1], 3, 2)
    assert all(dict(o.dropped) == {TIME_BUDGET: 1} and o.passed == 0 for o in late)


def test_regions_with_the_same_canonical_code_are_decoded_once(runtime: OnnxSuggester) -> None:
    twin = SLOW.replace("keep", "keep_other").replace("names", "words").replace("name", "word")
    source = SLOW + "\n\n" + twin
    report = runtime.report("m.py", source, [(1, 100)], top_k=4)
    first, second = sorted(report.regions.values(), key=lambda o: o.start)
    assert runtime.last_stats.per_call[0][0] == 4  # 4 rows (one region's latents), not 8
    assert (first.dropped, first.passed) == (second.dropped, second.passed) and accounted(first) == 4
    words = [h for h in report.hints if h.function == "keep_other"]
    assert all("word" in h.suggestion and "name" not in h.suggestion for h in words)  # in the twin's own names
    assert len(words) == first.hints


def test_a_gated_latent_is_counted_and_never_decoded() -> None:
    class Gated(OnnxSuggester):
        def gate(self, latent: int) -> str | None:
            return BELOW_PRECISION

    gated = Gated(load_bundle(tiny_bundle()))
    report = gated.report("m.py", SLOW, [(1, 6)], top_k=4)
    [outcome] = report.regions.values()
    assert (dict(outcome.dropped), report.hints, gated.last_stats.calls) == ({BELOW_PRECISION: 4}, [], 0)


def test_when_the_gate_refuses_every_latent_the_prior_is_skipped_with_the_same_outcome(
    runtime: OnnxSuggester,
) -> None:
    # The shipped atlas at the default min_precision refuses every latent; the runtime then runs neither the prior
    # nor the encoder. What it reports must be what the full path (rank, then gate each top-k latent) reports.
    class Closed(OnnxSuggester):
        ranked = 0

        def gate(self, latent: int) -> str | None:
            return BELOW_PRECISION

        def rank(self, sources: Sequence[Sequence[int]]) -> np.ndarray:
            self.ranked += 1
            return super().rank(sources)

    class ClosedTheLongWay(Closed):
        def _all_gated(self) -> str | None:
            return None

    bundle = load_bundle(tiny_bundle())
    short, full = Closed(bundle), ClosedTheLongWay(bundle)
    source = USER + "\n\n" + SLOW.replace("keep", "keep2") + "\n\n" + TOTAL + "\n\n" + long_run(runtime)
    for top_k in (1, 4):
        a, b = (m.report("m.py", source, [(1, 10_000)], top_k=top_k) for m in (short, full))
        assert a.hints == b.hints == []
        assert {span: (o.name, dict(o.dropped), o.detail, o.passed) for span, o in a.regions.items()} == {
            span: (o.name, dict(o.dropped), o.detail, o.passed) for span, o in b.regions.items()
        }
        assert a.dropped()[BELOW_PRECISION] == top_k * (len(a.regions) - 1) and a.dropped()[TOO_LONG] == 1
    assert (short.ranked, short.last_stats.calls, full.ranked > 0) == (0, 0, True)


def test_the_hooks_json_totals_the_real_runtimes_drops(
    runtime: OnnxSuggester, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from speedhints.cli import main

    file = tmp_path / "shop.py"
    file.write_text(USER + "\n\n" + long_function(runtime))
    argv = ["check", "--all", "--no-cache", "--bundle", str(tiny_bundle()), "--format", "json", "--explain"]
    # At the default gate no latent of the unmeasured test bundle may be shown: the long function is not cut.
    assert main([*argv, str(file)]) == 0
    gated = {e["function"]: e for e in json.loads(capsys.readouterr().out)["explain"]}
    assert "parts" not in gated["summed"] and gated["summed"]["dropped"] == {BELOW_PRECISION: 4}
    assert gated["summed"]["verdict"].endswith("not cut into parts, as no latent may be shown")
    # With every latent open, the real runtime decodes the parts too.
    assert main([*argv, "--min-precision", "0", str(file)]) == 0
    payload = json.loads(capsys.readouterr().out)
    explain = {e["function"]: e for e in payload["explain"]}
    assert set(explain) == {"<module>", "keep_known", "summed"}
    # Too long as a whole, so checked in parts; each part's latents are counted, under the part and the function.
    summed = explain["summed"]
    assert TOO_LONG not in summed["dropped"] and len(summed["parts"]) >= 2
    assert summed["verdict"].startswith("too long for the model as a whole (")
    assert f"tokens, the model reads at most {runtime.spec.max_len}); checked as {len(summed['parts'])} parts; " \
        in summed["verdict"]
    parts: Counter[str] = Counter()
    for part in summed["parts"]:
        parts.update(part["dropped"])
        assert part["touched"] and sum(part["dropped"].values()) + part["shown"] >= 1
    assert dropped_json(parts) == summed["dropped"]
    totals: Counter[str] = Counter()
    for e in payload["explain"]:
        totals.update(e["dropped"])
    assert payload["dropped"] == dropped_json(totals) and TOO_LONG not in payload["dropped"]
    # keep_known's 4 latents: each either shown (merged duplicates aside) or counted.
    assert sum(explain["keep_known"]["dropped"].values()) + explain["keep_known"]["shown"] <= 4
    assert sum(explain["keep_known"]["dropped"].values()) >= 1
