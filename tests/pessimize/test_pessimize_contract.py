"""The package's contract with ``speedhints data synth``: fixed family names in a fixed order, one entry point."""

import importlib
import pkgutil

import pytest

import speedhints.training.data.pessimize as package
from speedhints.training.data.pessimize import FAMILIES, family, variants

# Names are keys in training/corpus/synth_pairs.tsv: a family is never renamed or moved, new ones go at the end.
COMMITTED = [
    "stdin_readline", "stdin_read_split", "set_membership", "dict_keys_membership", "deque_popleft", "pow_mod",
    "join_concat", "counter_count", "heapq_min_remove", "bisect_linear", "comprehension_loop", "method_alias",
    "input_alias", "print_per_item", "hoist_len", "hoist_call", "sort_per_iteration", "early_break", "any_all_loop",
    "enumerate_index", "sum_loop", "list_repeat_comprehension", "stdout_write", "main_to_module", "print_buffered",
    "prefix_sum_slice", "lru_cache_removal", "memo_dict_removal", "append_concat", "index_iteration",
    "min_max_sorted", "isinstance_or", "items_lookup", "join_generator", "startswith_or", "const_set_membership",
]


def test_families_keep_their_names_and_order():
    assert [f.name for f in FAMILIES][:len(COMMITTED)] == COMMITTED
    assert len({f.name for f in FAMILIES}) == len(FAMILIES)
    assert all(" -> " in f.label for f in FAMILIES)


def test_every_family_module_is_registered():
    modules = [m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")]
    registered = {f.transform.__module__ for f in FAMILIES}
    for name in modules:
        module = importlib.import_module(f"{package.__name__}.{name}")
        if hasattr(module, "FAMILY"):
            assert module.FAMILY in FAMILIES, name
    assert registered <= {f"{package.__name__}.{m}" for m in modules} | {f"{package.__name__}._hoist"}


def test_unknown_family_and_unparsable_source():
    with pytest.raises(KeyError, match="known: stdin_readline"):
        family("no_such_family")
    assert variants("def (:\n", family("comprehension_loop")) == []
    assert variants("print 'python 2'\n", family("comprehension_loop")) == []


def test_variants_respects_the_limit_and_the_first_site_comes_first():
    source = "\n".join(f"a{i} = [x{i} for x{i} in range({i})]" for i in range(12))
    found = variants(source, family("comprehension_loop"), limit=3)
    assert len(found) == 3
    assert found[0].startswith("a0 = []\nfor x0 in range(0):")
