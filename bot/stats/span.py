"""Which unknowns of a linear system a reader pins: exact linear algebra modulo a large prime,
for the disclosure audit (`bot.stats.disclosure`). Pure.

What must hold: `kernel_support` never reports a column as free when the rows pin it (a count
reported free is one the audit believes hidden); the rare error (probability 2**-61 per column)
goes the safe way: a free column reported pinned only makes the audit hide one count more.
"""

from __future__ import annotations

import heapq
import random

#: A Mersenne prime: the audit works modulo it (exact integer arithmetic, no rounding).
_PRIME = (1 << 61) - 1


def kernel_support(rows: list[dict[int, int]], columns: int) -> set[int]:
    """The columns 0..columns-1 that some solution of rows @ x == 0 has non-zero.

    A column outside this set is pinned: its unit vector lies in the row space, so a reader
    computes it exactly (see `kernel_vector`).
    """
    return {c for c, v in enumerate(kernel_vector(rows, columns)) if v}


def kernel_vector(rows: list[dict[int, int]], columns: int) -> list[int]:
    """A random solution of rows @ x == 0 (modulo a large prime), column by column.

    A linear combination of columns is pinned (a reader computes it exactly) iff it is zero on
    every solution; on this one it is zero otherwise only with probability 1/2**61, and that
    error only hides one count more. So a column is pinned iff its value here is 0, and the
    difference of two columns iff their values are equal. Sparse Gaussian elimination modulo
    the prime, then random values (fixed seed) for the free columns.
    """
    uses = [0] * columns
    for row in rows:
        for column in row:
            uses[column] += 1
    pivots: dict[int, dict[int, int]] = {}  # pivot column -> its row, pivot coefficient 1
    created: dict[int, int] = {}
    for original in rows:
        row = {c: v % _PRIME for c, v in original.items() if v % _PRIME}
        # Eliminate earlier pivots, oldest first: a pivot row holds only its own column, free
        # columns and younger pivots, so this ends.
        queue = [(created[c], c) for c in row if c in pivots]
        heapq.heapify(queue)
        while queue:
            _, column = heapq.heappop(queue)
            factor = row.get(column)
            if not factor:
                continue
            for j, a in pivots[column].items():
                updated = (row.get(j, 0) - factor * a) % _PRIME
                if updated:
                    if j not in row and j in pivots:
                        heapq.heappush(queue, (created[j], j))
                    row[j] = updated
                else:
                    row.pop(j, None)
        if row:
            pivot = min(row, key=lambda c: (uses[c], c))
            inverse = pow(row[pivot], _PRIME - 2, _PRIME)
            pivots[pivot] = {j: v * inverse % _PRIME for j, v in row.items()}
            created[pivot] = len(created)
    chance = random.Random(0x5EED)
    kernel = {c: chance.randrange(1, _PRIME) for c in range(columns) if c not in pivots}
    for pivot in sorted(pivots, key=created.__getitem__, reverse=True):
        total = sum(a * kernel[j] for j, a in pivots[pivot].items() if j != pivot)
        kernel[pivot] = -total % _PRIME
    return [kernel[c] for c in range(columns)]


__all__ = ["kernel_support", "kernel_vector"]
