"""The pre-commit hook: hints for the code each commit changes (depends on model_export only; never on torch)."""
