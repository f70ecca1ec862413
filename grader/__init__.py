"""Instructor tooling around nbgrader: release, autograde, feedback, export."""
import sys

# nbformat validates with jsonschema, which imports the optional IRI checker `rfc3987_syntax`
# when installed (it is, through jupyter-events); compiling its grammar costs ~2.4 s in every
# grader process, for a format notebooks never use. A None entry makes that import fail fast.
sys.modules.setdefault("rfc3987_syntax", None)
