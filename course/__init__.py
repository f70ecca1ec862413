"""Neural networks from scratch in NumPy: the course's reference library.

Each module holds one concept (see CONTRIBUTING.md for the full list of names); import the
module you need, e.g. ``from course import layers``.

Importing ``course`` sets how many threads the BLAS library (NumPy's and SciPy's matrix
products) may use in this process, ``BLAS_THREADS``:

- ``COURSE_BLAS_THREADS=<n>`` in the environment: n threads; ``auto``: one per CPU this
  process may run on (its affinity mask and cgroup CPU quota); ``none``: leave BLAS alone.
- otherwise, when ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` or ``MKL_NUM_THREADS`` is set,
  that choice stands (the grader and ``make`` set them to 1);
- otherwise one thread. The notebooks multiply mini-batches of 10 to 128 rows, too small to
  gain much from a second thread, and a kernel on a shared machine (JupyterHub, a grading
  server) with as many BLAS threads as cores waits on whichever thread the others' work has
  pushed aside: ``benchmarks/notebooks.py`` measures the notebooks both ways.
"""
import os

__version__ = "0.1.0"

#: Variables through which BLAS and OpenMP libraries take their number of threads.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def cpus_available():
    """CPUs this process may use: its affinity mask, capped by a cgroup v2 CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()
        if quota != "max":
            cpus = min(cpus, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cpus


def blas_thread_policy(environ=os.environ):
    """The number of BLAS threads the rules above choose, or None to leave BLAS alone."""
    value = environ.get("COURSE_BLAS_THREADS", "").strip().lower()
    if value == "none":
        return None
    if value == "auto":
        return cpus_available()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(
                f"COURSE_BLAS_THREADS is a number >= 1, 'auto' or 'none', not {value!r}")
        return int(value)
    if any(environ.get(name) for name in THREAD_VARIABLES):
        return None
    return 1


def limit_blas_threads(threads):
    """Limit BLAS to ``threads`` threads: the libraries loaded now and those loaded later.

    Loaded ones through threadpoolctl; for later ones (and child processes) the variables of
    ``THREAD_VARIABLES`` are set, which BLAS libraries read when they load.
    """
    from threadpoolctl import threadpool_limits

    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    threadpool_limits(limits=threads, user_api="blas")


#: BLAS threads set by importing ``course`` (None: left as the environment had it).
BLAS_THREADS = blas_thread_policy()
if BLAS_THREADS is not None:
    limit_blas_threads(BLAS_THREADS)

# In a notebook, show failed tests, unfinished exercises and errors in the student's functions
# the short way (course/errors.py); outside IPython this does nothing.
from course import errors as _errors  # noqa: E402

_errors.install()
