"""Instructor tooling around nbgrader: release, autograde, feedback, export."""
