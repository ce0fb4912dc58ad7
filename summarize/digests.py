"""A table of 8-byte digests and a number for each, in two flat arrays allocated up front.

What a run keeps per line, brief or result (`summarize.linefreq`, `summarize.resume`,
`summarize.batchresults`) is a digest and a count, an offset or a place: as Python ints
in a dict that costs about 100 bytes an entry, and a dict's memory is not given back
when it shrinks. Here an entry costs its 8-byte key and its value's bytes (9 to 16 a
slot), at a load under 3/4, and the table's size is chosen once (or, for the results
index, as files are added). The arrays are anonymous memory maps, which the kernel gives
zeroed pages as they are first written: a table sized for a large corpus costs a small
run only the pages it touches. Open addressing with linear probing; 0 marks an empty
slot, so a digest of 0 is stored as 1 (`nonzero`): two digests that differ only there
are one key, as two lines or briefs whose 64-bit digests collide already are."""

from __future__ import annotations

import mmap
from array import array
from collections.abc import Callable, Iterator
from typing import Any, Literal

Kind = Literal["B", "I", "Q"]  # the value types the tables use: bytes, counts, offsets


def nonzero(digest: int) -> int:
    return digest or 1


def zeros(kind: Kind, count: int) -> memoryview:
    """`count` zeros of `array` typecode `kind`, as a private anonymous memory map (its
    pages are resident once written, not before)."""
    size = max(1, array(kind).itemsize * count)
    memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return memoryview(memory).cast(kind)


def _empty_slot(keys: memoryview | array[int]) -> int:
    return next(slot for slot, key in enumerate(keys) if not key)  # never full: one exists


def table_size(entries: int, load: float = 0.75) -> int:
    """The power of two that holds `entries` at no more than `load`."""
    return 1 << max(3, int(entries / load).bit_length())


class DigestTable:
    """Digests (nonzero) and a value each (`array` typecode `kind`), `size` slots."""

    def __init__(self, size: int, kind: Kind = "Q") -> None:
        if size & (size - 1):
            raise ValueError(f"a table's size is a power of two, not {size}")
        self.size, self.mask = size, size - 1
        self.kind = kind
        self.keys = zeros("Q", size)
        self.values = zeros(kind, size)
        self.used = 0

    def slot(self, key: int) -> int:
        """Where `key` is, or the empty slot where it would go."""
        mask, keys = self.mask, self.keys
        slot = key & mask
        while (found := keys[slot]) and found != key:
            slot = (slot + 1) & mask
        return slot

    def claim(self, key: int) -> int:
        """The slot of `key`, taken for it if it was not there; -1 when the table is
        too full to take it (at most 7/8 of the slots are ever taken)."""
        slot = self.slot(key)
        if not self.keys[slot]:
            if self.used >= self.size * 7 // 8:
                return -1
            self.keys[slot] = key
            self.used += 1
        return slot

    def append(self, key: int, value: int) -> None:
        """Another entry for `key` (a multimap: earlier entries of it stay, in order, and
        `all` gives them back in the order they came). The table must have room."""
        mask, keys = self.mask, self.keys
        slot = key & mask
        while keys[slot]:
            slot = (slot + 1) & mask
        keys[slot], self.values[slot] = key, value
        self.used += 1

    def all(self, key: int) -> Iterator[int]:
        """Every value of `key`, in the order `append` added them."""
        mask, keys = self.mask, self.keys
        slot = key & mask
        while found := keys[slot]:
            if found == key:
                yield self.values[slot]
            slot = (slot + 1) & mask

    def resized(self, size: int) -> DigestTable:
        """The same entries in a table of `size` slots, each key's in the same order."""
        table = DigestTable(size, self.kind)
        start = _empty_slot(self.keys)  # from an empty slot: no probe run wraps past it
        for step in range(1, self.size + 1):
            slot = (start + step) & self.mask
            if key := self.keys[slot]:
                table.append(key, self.values[slot])
        return table

    def get(self, key: int, default: int = 0) -> int:
        slot = self.slot(key)
        return self.values[slot] if self.keys[slot] else default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and self.keys[self.slot(nonzero(key))] != 0

    def __len__(self) -> int:
        return self.used

    def __iter__(self) -> Iterator[int]:
        return (key for key in self.keys if key)

    def retain(self, keep: Callable[[int, int], bool]) -> None:
        """Keep the entries for which `keep(key, value)` holds, in place: those left are
        placed again, in slot order from a slot that was empty before (so that no probe
        run wraps past the start), each at or before where it stood."""
        keys, values, mask = self.keys, self.values, self.mask
        start = _empty_slot(keys)
        for slot, key in enumerate(keys):
            if key and not keep(key, values[slot]):
                keys[slot] = values[slot] = 0
                self.used -= 1
        for step in range(1, self.size + 1):
            slot = (start + step) & mask
            if key := keys[slot]:
                value, keys[slot], values[slot] = values[slot], 0, 0
                new = self.slot(key)
                keys[new], values[new] = key, value


class DigestSet:
    """The keys of a table, for membership only: what a worker process is sent (it
    pickles as the keys' bytes)."""

    def __init__(self, table: DigestTable | None = None) -> None:
        self.keys: memoryview | array[int] = table.keys if table is not None else zeros("Q", 8)
        self.mask = len(self.keys) - 1
        self.used = table.used if table is not None else 0

    def __getstate__(self) -> dict[str, Any]:
        return {"keys": self.keys.tobytes(), "used": self.used}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.keys = array("Q")
        self.keys.frombytes(state["keys"])
        self.mask, self.used = len(self.keys) - 1, state["used"]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, int):
            return False
        key, keys, mask = nonzero(key), self.keys, self.mask
        slot = key & mask
        while found := keys[slot]:
            if found == key:
                return True
            slot = (slot + 1) & mask
        return False

    def __len__(self) -> int:
        return self.used

    def __iter__(self) -> Iterator[int]:
        return (key for key in self.keys if key)
