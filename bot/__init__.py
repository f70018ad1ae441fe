"""The GitHub bot: hints as pull-request review comments (depends on model_export only; never on torch)."""
