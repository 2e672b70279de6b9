"""The screen's matrix products run on one BLAS thread, without rescanning libraries."""

from __future__ import annotations

from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

from guardrails import blas


def _blas_threads() -> list[int]:
    return [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]


def test_one_blas_thread_limits_blas_inside_and_restores_it_after() -> None:
    before = _blas_threads()
    assert before  # numpy's BLAS is loaded
    with blas.one_blas_thread():
        assert _blas_threads() == [1] * len(before)
    assert _blas_threads() == before


def test_the_library_scan_happens_once() -> None:
    with blas.one_blas_thread():
        pass
    first = blas._controller()
    with blas.one_blas_thread():
        pass
    assert blas._controller() is first
    assert blas._controller.cache_info().hits >= 1
