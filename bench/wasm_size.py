#!/usr/bin/env python3
"""A size profile of the browser build: the WASM's code bytes by crate.

    python3 bench/wasm_size.py [WASM [TOP]]

WASM defaults to the release build as cargo leaves it, before wasm-bindgen and wasm-opt
(target/front/wasm32-unknown-unknown/wasm-release/frontend.wasm): that file still has its name
section, which names every function. Each function body is counted against the crate its
mangled name starts with; a trait method implemented for another crate's type (`<T as
tachys::view::any_view::IntoAny>::...`) counts for the trait's crate, since that is the code that
generic use brings in. Prints the TOP (default 15) crates and the share of the code they hold.
wasm-opt later shrinks the whole by about a third; the proportions hold roughly.
Python 3 standard library only.
"""

import re
import sys
from collections import Counter
from pathlib import Path

DEFAULT_WASM = "target/front/wasm32-unknown-unknown/wasm-release/frontend.wasm"
SECTION_IMPORT, SECTION_CODE, SECTION_CUSTOM = 2, 10, 0
NAME_SUBSECTION_FUNCTIONS = 1


def leb128(data, pos):
    """An unsigned LEB128 integer at `pos`: (value, position after it)."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def skip_name(data, pos):
    length, pos = leb128(data, pos)
    return pos + length


def imported_functions(data, pos):
    """How many functions the import section declares (they come first in the index space)."""
    count, pos = leb128(data, pos)
    functions = 0
    for _ in range(count):
        pos = skip_name(data, skip_name(data, pos))
        kind = data[pos]
        pos += 1
        if kind == 0:  # function: type index
            _, pos = leb128(data, pos)
            functions += 1
        elif kind == 1:  # table: reference type, limits
            flags = data[pos + 1]
            _, pos = leb128(data, pos + 2)
            if flags & 1:
                _, pos = leb128(data, pos)
        elif kind == 2:  # memory: limits
            flags = data[pos]
            _, pos = leb128(data, pos + 1)
            if flags & 1:
                _, pos = leb128(data, pos)
        elif kind == 3:  # global: value type, mutability
            pos += 2
        else:
            raise ValueError(f"unknown import kind {kind}")
    return functions


def body_sizes(data, pos):
    count, pos = leb128(data, pos)
    sizes = []
    for _ in range(count):
        size, start = leb128(data, pos)
        sizes.append(size + start - pos)
        pos = start + size
    return sizes


def function_names(data, pos, end):
    names = {}
    while pos < end:
        subsection = data[pos]
        size, pos = leb128(data, pos + 1)
        if subsection == NAME_SUBSECTION_FUNCTIONS:
            count, cursor = leb128(data, pos)
            for _ in range(count):
                index, cursor = leb128(data, cursor)
                length, cursor = leb128(data, cursor)
                names[index] = data[cursor : cursor + length].decode("utf-8", "replace")
                cursor += length
        pos += size
    return names


def parse(data):
    """(sizes of the function bodies, {function index: name}, number of imported functions)."""
    if data[:4] != b"\0asm":
        raise ValueError("not a WebAssembly module")
    pos, imports, sizes, names = 8, 0, [], {}
    while pos < len(data):
        section = data[pos]
        size, pos = leb128(data, pos + 1)
        end = pos + size
        if section == SECTION_IMPORT:
            imports = imported_functions(data, pos)
        elif section == SECTION_CODE:
            sizes = body_sizes(data, pos)
        elif section == SECTION_CUSTOM:
            length, start = leb128(data, pos)
            if data[start : start + length] == b"name":
                names = function_names(data, start + length, end)
        pos = end
    return sizes, names, imports


LEGACY_SEGMENT = re.compile(r"(\d+)")
TRAIT_IMPL = re.compile(r"\$u20\$as\$u20\$([A-Za-z0-9_]+)\.\.")
IMPL_SELF = re.compile(r"^_\$LT\$([A-Za-z0-9_]+)\.\.")
V0_CRATE = re.compile(r"C(?:s[0-9A-Za-z]*_)?(\d+)")


def crate_of(name):
    """The crate a (legacy-mangled) Rust symbol belongs to, as described in the module doc."""
    if name.startswith("_R"):  # v0 mangling (the precompiled standard library): first crate
        match = V0_CRATE.search(name)
        return name[match.end() : match.end() + int(match.group(1))] if match else "?"
    if not name.startswith("_ZN"):
        return name.split("::")[0][:40] or "?"
    match = LEGACY_SEGMENT.match(name, 3)
    if not match:
        return "?"
    first = name[match.end() : match.end() + int(match.group(1))]
    if not first.startswith("_$LT$"):
        return first
    trait = TRAIT_IMPL.search(first)
    if trait:
        return trait.group(1)
    own = IMPL_SELF.match(first)
    return own.group(1) if own else "?"


def main():
    wasm = Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_WASM)
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    try:
        data = wasm.read_bytes()
    except OSError as error:
        sys.exit(f"cannot read {wasm}: {error} (build the release first)")
    sizes, names, imports = parse(data)
    if not names:
        sys.exit(f"{wasm} has no name section: use the file cargo writes, before wasm-opt")
    by_crate = Counter()
    for index, size in enumerate(sizes):
        by_crate[crate_of(names.get(imports + index, "?"))] += size
    total = sum(sizes)
    print(f"{wasm}: {total / 1024:.0f} KiB of code in {len(sizes)} functions")
    for crate, size in by_crate.most_common(top):
        print(f"{size / 1024:8.1f} KiB  {100 * size / total:4.1f} %  {crate}")


if __name__ == "__main__":
    main()
