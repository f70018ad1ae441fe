"""The corpus pipeline (`speedhints data ...`): convert, sandbox, verify, scale, measure, pairs, splits, quality,
stats, and the pessimizers and synthetic pairs."""
