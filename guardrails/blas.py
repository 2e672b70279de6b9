"""One BLAS thread for the screen's tiny matrix products.

The products (a few sentences against the risk bank, the model's two heads) take
microseconds, but OpenBLAS's worker threads spin after them and slow the next
sentence encode on two cores. ``threadpoolctl`` finds the BLAS libraries by scanning
the process's loaded libraries, which costs milliseconds, so the controller is built
once and reused.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import cache
from typing import Any

from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]


@cache
def _controller() -> Any:
    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager[Any]:
    """A context in which BLAS runs on one thread."""
    limiter: AbstractContextManager[Any] = _controller().limit(limits=1, user_api="blas")
    return limiter
