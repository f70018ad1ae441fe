"""speedhints: learned hints that make Python code faster."""

__version__ = "0.1.0"
