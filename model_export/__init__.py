"""The exported model and what both sides of it share: canonical form, tokenizer, bundle format, runtime."""
