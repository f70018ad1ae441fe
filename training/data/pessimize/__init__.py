"""Pessimizers: transforms that turn a fast idiom of a real program into its slow, behaviour-preserving equivalent.

A synthetic training pair is (pessimized variant -> original): the target is always a real human program, and the
edit the model learns is the inverse of the transform (``Family.label``, e.g. "list membership -> set").

The contract every family module in this package keeps (``speedhints data synth`` relies on it):
- ``FAMILY = Family(name=..., label=..., transform=...)`` at module level, registered in ``FAMILIES`` below;
- ``transform(tree)`` takes a parsed module (``ast.Module``; it must not mutate it) and returns the variants it can
  make, as new ``ast.Module`` trees, one per site where its precondition holds (first site first, deterministic:
  the same source gives the same variants in the same order). An empty list means the precondition failed
  everywhere. The precondition is what makes the variant behave like the original on every input.
- ``variants(source, family)`` is the one entry point: it parses, calls the transform, unparses each variant with
  ``ast.unparse`` and drops variants equal to the original's ``ast.unparse`` (a transform that changes nothing).
"""

from __future__ import annotations

import ast
import warnings

from ._family import Family

__all__ = ["FAMILIES", "Family", "family", "variants"]


def variants(source: str, family: Family, limit: int = 8) -> list[str]:
    """At most ``limit`` pessimized versions of ``source`` under ``family``, as ``ast.unparse`` text, deterministic."""
    parsed = _parse(source)
    if parsed is None:
        return []
    tree, original = parsed
    out: list[str] = []
    try:  # a program nested too deeply for the transforms' copies or for unparse yields no variants
        for variant in family.transform(tree):
            text = ast.unparse(ast.fix_missing_locations(variant))
            if text != original and text not in out:
                out.append(text)
            if len(out) >= limit:
                break
    except RecursionError:
        return []
    return out


_PARSED: dict[str, tuple[ast.Module, str] | None] = {}


def _parse(source: str) -> tuple[ast.Module, str] | None:
    """The tree and ``ast.unparse`` text of ``source``, kept for the last source: callers ask for every family of
    one program in turn, and one tree lets the families share its name facts (``_common.facts``). Sharing is safe
    because a transform never mutates its input."""
    if source not in _PARSED:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)  # "is" with a literal and friends: not ours to judge
                tree = ast.parse(source)
            entry: tuple[ast.Module, str] | None = (tree, ast.unparse(tree))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            entry = None
        _PARSED.clear()
        _PARSED[source] = entry
    return _PARSED[source]


FAMILIES: list[Family] = []  # filled by the family modules' registration below, in a fixed order


def family(name: str) -> Family:
    """The registered family called ``name``; ``KeyError`` with the known names otherwise."""
    for candidate in FAMILIES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no pessimizer family {name!r}; known: {', '.join(f.name for f in FAMILIES)}")


# The families register here. The order is fixed: append new families at
# the end, never rename one (names are keys in training/corpus/synth_pairs.tsv).
from . import (  # noqa: E402
    any_all_loop,
    append_concat,
    bisect_linear,
    comprehension_loop,
    counter_count,
    deque_popleft,
    dict_keys_membership,
    early_break,
    enumerate_index,
    heapq_min_remove,
    hoist_call,
    hoist_len,
    index_iteration,
    input_alias,
    join_concat,
    list_repeat_comprehension,
    lru_cache_removal,
    main_to_module,
    memo_dict_removal,
    method_alias,
    min_max_sorted,
    pow_mod,
    prefix_sum_slice,
    print_buffered,
    print_per_item,
    set_membership,
    sort_per_iteration,
    stdin_read_split,
    stdin_readline,
    stdout_write,
    sum_loop,
)

FAMILIES.extend([
    stdin_readline.FAMILY,
    stdin_read_split.FAMILY,
    set_membership.FAMILY,
    dict_keys_membership.FAMILY,
    deque_popleft.FAMILY,
    pow_mod.FAMILY,
    join_concat.FAMILY,
    counter_count.FAMILY,
    heapq_min_remove.FAMILY,
    bisect_linear.FAMILY,
    comprehension_loop.FAMILY,
    method_alias.FAMILY,
    input_alias.FAMILY,
    print_per_item.FAMILY,
    hoist_len.FAMILY,
    hoist_call.FAMILY,
    sort_per_iteration.FAMILY,
    early_break.FAMILY,
    any_all_loop.FAMILY,
    enumerate_index.FAMILY,
    sum_loop.FAMILY,
    list_repeat_comprehension.FAMILY,
    stdout_write.FAMILY,
    main_to_module.FAMILY,
    print_buffered.FAMILY,
    prefix_sum_slice.FAMILY,
    lru_cache_removal.FAMILY,
    memo_dict_removal.FAMILY,
    append_concat.FAMILY,
    index_iteration.FAMILY,
    min_max_sorted.FAMILY,
])
