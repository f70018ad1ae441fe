"""Data, models, training, evaluation and export (torch is imported only by the commands that need it)."""
