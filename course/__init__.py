"""Neural networks from scratch in NumPy: the course's reference library.

Each module holds one concept (see CONTRIBUTING.md for the full list of names); import the
module you need, e.g. ``from course import layers``.
"""
__version__ = "0.1.0"
