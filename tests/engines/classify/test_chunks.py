"""How a prediction's texts are cut into chunks for the workers: none larger than CHUNK, all
texts covered, and as many chunks as a multiple of the workers once there is more than one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wulian.engines.classify.model import CHUNK, chunk_size


@given(st.integers(min_value=1, max_value=20 * CHUNK), st.integers(min_value=1, max_value=16))
def test_chunks_are_small_enough_cover_the_texts_and_share_out_evenly(n, workers):
    size = chunk_size(n, workers)
    chunks = -(-n // size)
    assert 1 <= size <= CHUNK
    assert chunks * size >= n > (chunks - 1) * size
    if n > CHUNK and workers > 1:
        assert chunks % workers == 0
    if n <= CHUNK:
        assert chunks == 1


def test_a_million_texts_on_two_workers_make_eight_chunks_not_seven():
    assert -(-816_713 // chunk_size(816_713, 2)) == 8
    assert -(-816_713 // chunk_size(816_713, 1)) == 7
