"""The bug-catalog harness (``grader.bugs.harness``); the bugs themselves are registered with
their exercises in ``grader/exercises/nbNN.py`` (``BUGS``)."""
