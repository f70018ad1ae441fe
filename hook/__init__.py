"""The pre-commit hook: hints for the code each commit changes (uses model_export only; never torch)."""
