"""Library-code corpus (issue 18): functions and methods of pure-Python PyPI packages that ship their tests, and
function-level pessimizer pairs kept only when the package's own tests still pass.

Stages (``speedhints data library ...``): ``fetch`` (pip download the pinned sdists into work/library/sdist and
unpack them), ``functions`` (training/corpus/library_functions.tsv), ``baseline`` (which test files of each package
pass unmodified), ``pairs`` (variants run on the tests, resumable ledger work/library/ledger.sqlite, table
training/corpus/library_pairs.tsv). Only derived tables are committed, never the packages' code.
"""
