"""A reader of the SQLite file format, written from https://www.sqlite.org/fileformat.html.

Rule: this module reads bytes and nothing else. It never opens a file with `sqlite3` nor imports
`storage`, so what the privacy tests learn through it is what anyone holding the files learns,
whatever our storage code believes it wrote. It reads: the database header, the freelist, every
table and index b-tree (each cell with its page, its offset in the page and its key, in key
order), records, and the frames of a write-ahead log (the valid ones and the stale ones).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

HEADER_MAGIC = b"SQLite format 3\x00"
WAL_MAGICS = (0x377F0682, 0x377F0683)  # checksums little-endian, big-endian
WAL_HEADER = 32
FRAME_HEADER = 24

# Page types (the first byte of a b-tree page header).
INDEX_INTERIOR, TABLE_INTERIOR, INDEX_LEAF, TABLE_LEAF = 2, 5, 10, 13

Value = None | int | float | str | bytes


@dataclass(frozen=True, slots=True)
class Header:
    page_size: int
    reserved: int  # bytes reserved at the end of each page
    page_count: int  # "in-header database size"
    freelist_trunk: int
    freelist_count: int
    text_encoding: int  # 1 UTF-8, 2 UTF-16le, 3 UTF-16be

    @property
    def usable(self) -> int:
        return self.page_size - self.reserved


def read_header(data: bytes) -> Header:
    """The 100-byte header at the start of a database file.

    Raises: ValueError: not a SQLite database.
    """
    if data[:16] != HEADER_MAGIC:
        raise ValueError("not a SQLite 3 database file")
    (size,) = struct.unpack_from(">H", data, 16)
    page_size = 65536 if size == 1 else size
    page_count, trunk, count = struct.unpack_from(">III", data, 28)
    (encoding,) = struct.unpack_from(">I", data, 56)
    return Header(page_size, data[20], page_count, trunk, count, encoding)


def varint(data: bytes, at: int) -> tuple[int, int]:
    """The varint at `at` and the offset just after it (1 to 9 bytes, big-endian)."""
    value = 0
    for i in range(8):
        byte = data[at + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    return (value << 8) | data[at + 8], at + 9


def encode_varint(value: int) -> bytes:
    """The varint encoding SQLite uses for rowids and record headers (`value` ≥ 0)."""
    if value >= 1 << 56:
        out = [value & 0xFF]
        value >>= 8
        for _ in range(8):
            out.append((value & 0x7F) | 0x80)
            value >>= 7
        return bytes(reversed(out))
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(groups))


INT_WIDTHS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}  # serial type → bytes of a big-endian integer


def decode_record(payload: bytes) -> tuple[Value, ...]:
    """The values of a record (the payload of a table row or an index entry)."""
    header_size, at = varint(payload, 0)
    types: list[int] = []
    while at < header_size:
        serial, at = varint(payload, at)
        types.append(serial)
    values: list[Value] = []
    body = header_size
    for serial in types:
        if serial in INT_WIDTHS:
            width = INT_WIDTHS[serial]
            values.append(int.from_bytes(payload[body : body + width], "big", signed=True))
            body += width
        elif serial == 7:
            values.append(struct.unpack_from(">d", payload, body)[0])
            body += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial == 0:
            values.append(None)
        else:
            length = (serial - 12) // 2 if serial % 2 == 0 else (serial - 13) // 2
            raw = payload[body : body + length]
            values.append(raw if serial % 2 == 0 else raw.decode("utf-8", "replace"))
            body += length
    return tuple(values)


@dataclass(frozen=True, slots=True)
class Cell:
    """One entry of a b-tree: where it lies, its key, and its record."""

    page: int
    offset: int  # of the cell in its page (from the cell pointer array)
    rowid: int | None  # table b-trees; None in an index
    payload: bytes

    @property
    def values(self) -> tuple[Value, ...]:
        return decode_record(self.payload)


@dataclass(frozen=True, slots=True)
class SchemaEntry:
    type: str
    name: str
    table: str
    rootpage: int
    sql: str | None


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of a WAL file: a page image and whether it belongs to the current log."""

    number: int  # 0 for the first frame after the header
    offset: int  # of the page image in the WAL file
    page: int
    commit_size: int  # non-zero: the last frame of a transaction (the database size after it)
    valid: bool  # salts match the header's and the checksum chain holds


def wal_frames(wal: bytes, page_size: int) -> list[Frame]:
    """Every whole frame of `wal`: the current log's valid ones, then the stale rest."""
    if len(wal) < WAL_HEADER:
        return []
    magic, _, wal_page_size, _, salt1, salt2, c1, c2 = struct.unpack_from(">8I", wal, 0)
    if magic not in WAL_MAGICS or wal_page_size != page_size:
        return []
    order = ">" if magic == WAL_MAGICS[1] else "<"
    sums = _checksum(wal[:24], order, 0, 0)
    valid = sums == (c1, c2)
    frames: list[Frame] = []
    size = FRAME_HEADER + page_size
    for number in range((len(wal) - WAL_HEADER) // size):
        at = WAL_HEADER + number * size
        page, commit, s1, s2, f1, f2 = struct.unpack_from(">6I", wal, at)
        if valid:
            sums = _checksum(wal[at : at + 8], order, *sums)
            sums = _checksum(wal[at + FRAME_HEADER : at + size], order, *sums)
            valid = (s1, s2) == (salt1, salt2) and sums == (f1, f2)
        frames.append(Frame(number, at + FRAME_HEADER, page, commit, valid))
    return frames


def _checksum(data: bytes, order: str, s0: int, s1: int) -> tuple[int, int]:
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


class Image:
    """The database a reader sees: the main file's pages, with the WAL's committed frames on top."""

    def __init__(self, main: bytes, wal: bytes = b"") -> None:
        self.header = read_header(main)
        size = self.header.page_size
        self.pages: dict[int, bytes] = {
            n + 1: main[n * size : (n + 1) * size] for n in range(len(main) // size)
        }
        count = len(self.pages)
        pending: dict[int, bytes] = {}
        for frame in wal_frames(wal, size):
            if not frame.valid:
                break
            pending[frame.page] = wal[frame.offset : frame.offset + size]
            if frame.commit_size:  # a transaction is seen whole or not at all
                self.pages.update(pending)
                pending.clear()
                count = frame.commit_size
        self.pages = {n: image for n, image in self.pages.items() if n <= count}
        if 1 in self.pages:
            self.header = read_header(self.pages[1])

    @property
    def usable(self) -> int:
        return self.header.usable

    def freelist(self) -> list[int]:
        """Every free page: trunk pages and the leaf pages they list."""
        free: list[int] = []
        trunk = self.header.freelist_trunk
        while trunk and trunk in self.pages and len(free) <= len(self.pages):
            page = self.pages[trunk]
            following, count = struct.unpack_from(">II", page, 0)
            free.append(trunk)
            free.extend(struct.unpack_from(f">{count}I", page, 8))
            trunk = following
        return free

    def schema(self) -> list[SchemaEntry]:
        """The rows of `sqlite_master` (the table b-tree rooted at page 1)."""
        entries = []
        for cell in self.walk(1):
            kind, name, table, root, sql = cell.values[:5]
            entries.append(
                SchemaEntry(str(kind), str(name), str(table), int(root or 0), _text(sql))
            )
        return entries

    def walk(self, root: int) -> list[Cell]:
        """The cells of the b-tree rooted at `root`, in key order (interior keys of an index
        come between their subtrees, as they sort)."""
        return list(self._walk(root, set()))

    def _walk(self, number: int, seen: set[int]) -> Iterator[Cell]:
        if number in seen or number not in self.pages:
            return  # a loop or a page beyond the end: a damaged file, read what can be read
        seen.add(number)
        page = self.pages[number]
        start = 100 if number == 1 else 0
        kind = page[start]
        count = struct.unpack_from(">H", page, start + 3)[0]
        pointers_at = start + (12 if kind in (INDEX_INTERIOR, TABLE_INTERIOR) else 8)
        pointers = struct.unpack_from(f">{count}H", page, pointers_at)
        for offset in pointers:
            if kind == TABLE_LEAF:
                yield self._table_leaf_cell(number, offset)
            elif kind == TABLE_INTERIOR:
                (child,) = struct.unpack_from(">I", page, offset)
                yield from self._walk(child, seen)
            elif kind in (INDEX_LEAF, INDEX_INTERIOR):
                at = offset
                if kind == INDEX_INTERIOR:
                    (child,) = struct.unpack_from(">I", page, offset)
                    yield from self._walk(child, seen)
                    at += 4
                size, at = varint(page, at)
                yield Cell(number, offset, None, self._payload(page, at, size, index=True))
        if kind in (INDEX_INTERIOR, TABLE_INTERIOR):
            (right,) = struct.unpack_from(">I", page, start + 8)
            yield from self._walk(right, seen)

    def _table_leaf_cell(self, number: int, offset: int) -> Cell:
        page = self.pages[number]
        size, at = varint(page, offset)
        rowid, at = varint(page, at)
        if rowid >= 1 << 63:
            rowid -= 1 << 64
        return Cell(number, offset, rowid, self._payload(page, at, size, index=False))

    def _payload(self, page: bytes, at: int, size: int, *, index: bool) -> bytes:
        usable = self.usable
        most = (usable - 12) * 64 // 255 - 23 if index else usable - 35
        if size <= most:
            return page[at : at + size]
        least = (usable - 12) * 32 // 255 - 23
        local = least + (size - least) % (usable - 4)
        if local > most:
            local = least
        parts = [page[at : at + local]]
        (overflow,) = struct.unpack_from(">I", page, at + local)
        left = size - local
        while overflow and left > 0 and overflow in self.pages:
            chunk = self.pages[overflow]
            take = min(left, usable - 4)
            parts.append(chunk[4 : 4 + take])
            left -= take
            (overflow,) = struct.unpack_from(">I", chunk, 0)
        return b"".join(parts)

    def trees(self) -> dict[str, list[Cell]]:
        """Every table and index b-tree by name, sqlite_master included."""
        trees = {"sqlite_master": self.walk(1)}
        for entry in self.schema():
            if entry.rootpage:
                trees[entry.name] = self.walk(entry.rootpage)
        return trees


def _text(value: Value) -> str | None:
    return value if isinstance(value, str) else None


def find_all(data: bytes, needle: bytes) -> list[int]:
    """Every offset at which `needle` starts in `data`."""
    found, at = [], data.find(needle)
    while at >= 0:
        found.append(at)
        at = data.find(needle, at + 1)
    return found


def integer_encodings(value: int) -> dict[str, bytes]:
    """`value` as the record format may store it (big-endian, 1 to 8 bytes, two's complement),
    as a rowid or record header varint, and as decimal text (JSON, a TEXT column)."""
    encodings = {
        f"int{width}": (value & ((1 << (8 * width)) - 1)).to_bytes(width, "big")
        for width in INT_WIDTHS.values()
    }
    encodings["varint"] = encode_varint(value)
    encodings["decimal"] = str(value).encode()
    return encodings


def pages_of(data: bytes, page_size: int) -> Sequence[tuple[int, bytes]]:
    """(page number, image) of every page of a database file."""
    return [
        (n + 1, data[n * page_size : (n + 1) * page_size]) for n in range(len(data) // page_size)
    ]
