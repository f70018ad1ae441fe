"""``speedhints eval``: the paper's Table 1 with baselines, execution-based checks, and the latent atlas (issue #5)."""
