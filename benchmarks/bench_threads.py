"""1 vs 2 (and more) threads decoding the 2,000-element building with a ThreadPoolExecutor.

The compiled decoders release the GIL in their loops; the speed-up is the
ratio of the "1 thread" and "k threads" means in group "threads".
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

import workloads as W

COUNTS = sorted({1, 2, min(4, os.cpu_count() or 1)})


@pytest.mark.parametrize("threads", COUNTS)
def test_decode_building_threads(benchmark, threads):
    pictures = list(W.building(2000))
    decode = W.api("decode_meshblob")
    chunks = [pictures[i::threads] for i in range(threads)]

    def chunk(items):
        for p in items:
            decode(p)

    benchmark.group = "threads: decode 2000-element building"
    with ThreadPoolExecutor(max_workers=threads) as pool:
        benchmark(lambda: list(pool.map(chunk, chunks)))
