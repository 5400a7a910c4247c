"""Times for the words an engine did not time.

A TTS engine's or an aligner's words rarely match the transcript one for one; the ones left
over get a share of the gap their timed neighbours leave, in proportion to their length, so
every word of a line has a time and the times stay in order.
"""

from __future__ import annotations

from collections.abc import Sequence

Span = tuple[float, float]


def fill_untimed(spans: Sequence[Span | None], weights: Sequence[int], start: float,
                 end: float) -> list[Span]:
    """Every span: the given ones as they are; each run of missing ones shares the gap
    between its timed neighbours (`start` and `end` at the edges) by `weights`."""
    filled: list[Span | None] = list(spans)
    index = 0
    while index < len(filled):
        if filled[index] is not None:
            index += 1
            continue
        run_end = index
        while run_end < len(filled) and filled[run_end] is None:
            run_end += 1
        before, after = filled[index - 1] if index else None, \
            filled[run_end] if run_end < len(filled) else None
        left = before[1] if before else start
        right = max(after[0] if after else end, left)
        run = weights[index:run_end]
        cursor, unit = left, (right - left) / max(1, sum(run))
        for offset, weight in enumerate(run):
            filled[index + offset] = (cursor, cursor + weight * unit)
            cursor += weight * unit
        index = run_end
    return [span for span in filled if span is not None]
