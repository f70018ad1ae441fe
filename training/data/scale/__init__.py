"""Scaled-up inputs that make runtime mean something (issue #3 step 4); see README.md beside this file."""
