"""Tests for the BLAS thread policy that importing course applies (course/__init__.py)."""
import json
import os
import subprocess
import sys

import pytest

import course


@pytest.mark.parametrize("environ, expected", [
    ({}, 1),
    ({"COURSE_BLAS_THREADS": "3"}, 3),
    ({"COURSE_BLAS_THREADS": " 2 ", "OMP_NUM_THREADS": "1"}, 2),  # the course's variable wins
    ({"COURSE_BLAS_THREADS": "none"}, None),
    ({"OPENBLAS_NUM_THREADS": "4"}, None),  # a choice made already stands
    ({"OMP_NUM_THREADS": "1"}, None),
    ({"MKL_NUM_THREADS": "2"}, None),
    ({"OMP_NUM_THREADS": ""}, 1),
])
def test_policy(environ, expected):
    assert course.blas_thread_policy(environ) == expected


def test_policy_auto_is_the_cpus_available():
    assert course.blas_thread_policy({"COURSE_BLAS_THREADS": "auto"}) == course.cpus_available()
    assert 1 <= course.cpus_available() <= (os.cpu_count() or 1)


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_policy_rejects_what_is_not_a_thread_count(value):
    with pytest.raises(ValueError, match="COURSE_BLAS_THREADS"):
        course.blas_thread_policy({"COURSE_BLAS_THREADS": value})


PROBE = """
import json, numpy
import course
import scipy.linalg  # loaded after course: reads the variables course set
from threadpoolctl import threadpool_info
blas = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
print(json.dumps({"policy": course.BLAS_THREADS, "blas": blas,
                  "env": __import__("os").environ.get("OPENBLAS_NUM_THREADS")}))
"""


def _probe(**variables):
    env = {k: v for k, v in os.environ.items()
           if k not in course.THREAD_VARIABLES + ("COURSE_BLAS_THREADS",)}
    env.update(variables)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def test_importing_course_limits_blas_loaded_before_and_after():
    seen = _probe()
    assert seen["policy"] == 1 and seen["env"] == "1"
    assert len(seen["blas"]) >= 1 and set(seen["blas"]) == {1}, seen


def test_an_administrators_choice_and_none():
    assert _probe(COURSE_BLAS_THREADS="2")["blas"][0] == min(2, os.cpu_count())
    untouched = _probe(COURSE_BLAS_THREADS="none")
    assert untouched["policy"] is None and untouched["env"] is None
    assert _probe(OPENBLAS_NUM_THREADS="1")["policy"] is None
