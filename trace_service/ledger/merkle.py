"""RFC 9162 / RFC 6962 Merkle tree maths for the transparency log: hashing, proofs, verification.

Pure functions of their inputs; storage is reached only through a ``NodeGetter`` that fetches a
planned set of complete aligned nodes in one round trip.  A node ``(level, index)`` is the hash of
the complete subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the
leaf hashes.  Those nodes never change once written, which is why they are all the log stores.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from trace_service.errors import DomainError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeKey = tuple[int, int]
NodeGetter = Callable[[Collection[NodeKey]], Mapping[NodeKey, bytes]]
# A half-open leaf range [start, end) whose RFC 9162 subtree hash a proof needs.
LeafRange = tuple[int, int]

_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class InvalidProof(DomainError):
    code = "invalid_proof"
    status = 422
    title = "Proof does not verify"


class MissingNodes(LookupError):
    """The node store did not return every node a computation needs (corrupt or truncated log)."""


def leaf_hash(entry: bytes) -> bytes:
    """Hash one log entry as a leaf: SHA-256(0x00 ‖ entry)."""
    return _sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two child subtrees into their parent: SHA-256(0x01 ‖ left ‖ right)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def range_keys(start: int, end: int) -> list[NodeKey]:
    """The fewest complete aligned nodes covering leaves [start, end), left to right.

    Raises ValueError for an invalid range.
    """
    if not 0 <= start <= end:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    keys: list[NodeKey] = []
    while start < end:
        # The biggest node that starts at `start` (alignment) and does not pass `end` (length).
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def frontier_keys(size: int) -> list[NodeKey]:
    """The maximal complete subtrees decomposing [0, size), left to right (largest first)."""
    return range_keys(0, size)


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    # The RFC splits at the largest power of two, so a range made of decreasing aligned
    # subtrees hashes as h0 ‖ (h1 ‖ (h2 ‖ ...)): fold from the right.
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def _fetch(get: NodeGetter, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
    if not keys:
        return {}
    nodes = get(keys)
    missing = [key for key in keys if key not in nodes]
    if missing:
        raise MissingNodes(f"node store is missing {len(missing)} node(s), e.g. {missing[:5]}")
    return nodes


def _range_hashes(ranges: Sequence[LeafRange], get: NodeGetter) -> list[bytes]:
    # Plan every node all ranges need, fetch them in one call, then compose each range.
    per_range = [range_keys(start, end) for start, end in ranges]
    nodes = _fetch(get, {key for keys in per_range for key in keys})
    return [_fold_right([nodes[key] for key in keys]) for keys in per_range]


def tree_root(size: int, get: NodeGetter) -> bytes:
    """The RFC 9162 root hash MTH of the first ``size`` leaves.

    Raises ValueError for a negative size and MissingNodes if the store lacks a frontier node.
    """
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    if size == 0:
        return EMPTY_ROOT
    return _range_hashes([(0, size)], get)[0]


def append_leaves(
    old_size: int, leaf_hashes: Iterable[bytes], get: NodeGetter
) -> dict[NodeKey, bytes]:
    """Every complete node (leaves included) created by appending ``leaf_hashes`` at ``old_size``.

    Only the frontier of ``old_size`` is read from ``get``.  Raises ValueError for a malformed
    leaf hash and MissingNodes if the store lacks a frontier node.
    """
    keys = frontier_keys(old_size)
    nodes = _fetch(get, keys)
    # The frontier is a stack of right-edge subtree hashes, largest (leftmost) first; appending
    # a leaf merges it with every stack entry of equal size, like a binary counter's carries.
    stack = [nodes[key] for key in keys]
    created: dict[NodeKey, bytes] = {}
    sha256 = _sha256
    for position, digest in enumerate(leaf_hashes, start=old_size):
        if len(digest) != HASH_SIZE:
            raise ValueError(f"leaf hash at {position} is {len(digest)} bytes, not {HASH_SIZE}")
        created[(0, position)] = digest
        level, index = 0, position
        while index & 1:
            digest = sha256(_NODE_PREFIX + stack.pop() + digest).digest()
            level += 1
            index >>= 1
            created[(level, index)] = digest
        stack.append(digest)
    return created


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[LeafRange]:
    """The leaf ranges whose hashes form the inclusion proof of ``index`` at ``size``, in order.

    Follows RFC 9162 §2.1.3.1 PATH(m, D[n]).  Raises ValueError unless 0 <= index < size.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[LeafRange] = []
    start, end = 0, size
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    # The recursion emits the deepest sibling last; the proof lists it first.
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[LeafRange]:
    """The leaf ranges whose hashes form the consistency proof from ``first`` to ``second``.

    Follows RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], true).  Raises ValueError unless
    0 < first <= second.
    """
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    ranges: list[LeafRange] = []
    start, end, whole_old_tree = 0, second, True
    # [start, end) is the subtree being descended; the old tree ends at `first` inside it.
    while first != end:
        k = _largest_power_of_two_below(end - start)
        if first - start <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            whole_old_tree = False
    if not whole_old_tree:
        # The old tree's root is not known to the verifier, so the subtree it stops at is sent.
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def inclusion_proof(index: int, size: int, get: NodeGetter) -> list[bytes]:
    """RFC 9162 inclusion proof for leaf ``index`` in the tree of ``size`` leaves.

    Raises ValueError for an index outside the tree and MissingNodes for a gap in the store.
    """
    return _range_hashes(inclusion_ranges(index, size), get)


def consistency_proof(first: int, second: int, get: NodeGetter) -> list[bytes]:
    """RFC 9162 consistency proof that the tree of size ``first`` is a prefix of ``second``.

    Equal sizes give an empty proof.  Raises ValueError unless 0 < first <= second and
    MissingNodes for a gap in the store.
    """
    return _range_hashes(consistency_ranges(first, second), get)


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise InvalidProof(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 §2.1.3.2), to compare with a trusted root.

    Raises InvalidProof for a malformed hash, an index outside the tree or a proof of the wrong
    length.
    """
    _check_hash(leaf_hash, "leaf hash")
    if not 0 <= index < size:
        raise InvalidProof(f"leaf index {index} is outside a tree of size {size}")
    # Siblings exist at every level below where the paths to `index` and to the last leaf meet,
    # and above it wherever `index`'s ancestor is a right child.
    inner = (index ^ (size - 1)).bit_length()
    expected = inner + (index >> inner).bit_count()
    if len(proof) != expected:
        raise InvalidProof(f"inclusion proof has {len(proof)} hashes, expected {expected}")
    digest = leaf_hash
    # Below `inner` there is one proof hash per tree level, so a position there is a level.
    for position, sibling in enumerate(proof):
        _check_hash(sibling, f"proof hash {position}")
        if position < inner and not (index >> position) & 1:
            digest = node_hash(digest, sibling)
        else:
            digest = node_hash(sibling, digest)
    return digest


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    Raises InvalidProof if it is not (or the inputs are malformed).
    """
    computed = root_from_inclusion(leaf_hash, index, size, proof)
    if not hmac.compare_digest(computed, root):
        raise InvalidProof("inclusion proof does not lead to the expected root")


def roots_from_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes
) -> tuple[bytes, bytes]:
    """The (old, new) roots implied by a consistency proof (RFC 9162 §2.1.4.2).

    Raises InvalidProof for sizes that admit no proof or a proof of the wrong shape.
    """
    # A proof from the empty tree proves nothing, so strict verifiers refuse it outright.
    if first <= 0:
        raise InvalidProof(f"no consistency proof from tree size {first}")
    if second < first:
        raise InvalidProof(f"tree size {second} is smaller than {first}")
    if first == second:
        if proof:
            raise InvalidProof("proof between equal tree sizes must be empty")
        return first_root, first_root
    expected = len(consistency_ranges(first, second))
    if len(proof) != expected:
        raise InvalidProof(f"consistency proof has {len(proof)} hashes, expected {expected}")
    for position, digest in enumerate(proof):
        _check_hash(digest, f"proof hash {position}")
    hashes = list(proof)
    # Drop the levels where the old tree is a left-aligned complete subtree of the new one:
    # its root is then already known to the verifier and is not in the proof.
    node, last = first - 1, second - 1
    while node & 1:
        node >>= 1
        last >>= 1
    if first & (first - 1) == 0:
        _check_hash(first_root, "first root")
        hashes.insert(0, first_root)
    old = new = hashes[0]
    for sibling in hashes[1:]:
        if last == 0:
            raise InvalidProof("consistency proof is longer than the tree is deep")
        if node & 1 or node == last:
            old = node_hash(sibling, old)
            new = node_hash(sibling, new)
            while not node & 1 and node:
                node >>= 1
                last >>= 1
        else:
            new = node_hash(new, sibling)
        node >>= 1
        last >>= 1
    if last != 0:
        raise InvalidProof("consistency proof is shorter than the tree is deep")
    return old, new


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """Check that the tree of size ``first`` with ``first_root`` is a prefix of ``second``'s tree.

    Raises InvalidProof if it is not (or the inputs are malformed).
    """
    old, new = roots_from_consistency(first, second, proof, first_root)
    if not hmac.compare_digest(old, first_root):
        raise InvalidProof("consistency proof does not lead to the first root")
    if not hmac.compare_digest(new, second_root):
        raise InvalidProof("consistency proof does not lead to the second root")
