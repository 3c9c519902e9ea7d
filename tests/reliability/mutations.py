"""Random tampering with a populated database behind the service's back, as raw SQL.

A `Picture` of the database is read once (`forgery`); each mutation is drawn from a seeded RNG
over it and carries the statements that apply it and the rows the verifier must name (`Target`).
The forger is as capable as one can be without the log key: it recomputes hash columns, re-signs
payloads with the stolen keys of the parties, buyers and the service and, half the time, rebuilds
every `log_nodes` row and the chain head to match, so that only the signed checkpoints remember.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Executable, delete, insert, update

from tests.reliability.forgery import (
    CHECKPOINTS,
    DERIVED,
    ENTRIES,
    KEYS,
    NODES,
    SUBJECTS,
    Forger,
    Mutation,
    Row,
    Target,
    target,
)
from trace_service.ledger import merkle
from trace_service.ledger.checkpoint import Checkpoint as Note
from trace_service.ledger.envelope import Signature, build_envelope, sign_payload
from trace_service.plumbing.timestamps import format_time, parse_time


class Tamper(Forger):
    """Draws mutations of one kind at a time over a picture, with every stolen secret."""

    # -- log entries ------------------------------------------------------------------------

    def _store(self, kind: str, how: str, entry: Row, payload: dict[str, Any],
               sigs: list[Signature] | None) -> Mutation:  # fmt: skip
        """Replace an entry's envelope, its columns kept consistent; re-signed with the stolen
        keys when `sigs` is None. Half the time the tree nodes and the head are rebuilt too."""
        if sigs is None:
            keyids = [s["keyid"] for s in json.loads(entry["body"])["signatures"]]
            envelope = sign_payload(payload, [self.story.signing_keys[k] for k in keyids])
            how += ", re-signed with the stolen keys"
        else:
            envelope = build_envelope(payload, sigs)
        columns: Row = {"body": envelope.body, "hash": envelope.hash, "prev": payload["prev"] or "",
                        "signed_at": parse_time(payload["time"])}  # fmt: skip
        if len(payload["subject"]) <= 200:
            columns["subject"] = payload["subject"]
        statements: list[Executable] = [
            update(ENTRIES).where(ENTRIES.c.idx == entry["idx"]).values(**columns)
        ]
        if self.rng.random() < 0.5:
            how += "; log_nodes and the chain head rebuilt to match"
            leaves = [merkle.leaf_hash(envelope.body if e is entry else e["body"])
                      for e in self.p.entries]  # fmt: skip
            rebuilt = merkle.append_leaves(0, leaves, lambda _keys: {})
            statements += [
                update(NODES).where(NODES.c.level == level, NODES.c.idx == index).values(hash=h)
                for (level, index), h in rebuilt.items()
                if self.p.nodes.get((level, index)) not in (None, h)
            ]
            statements.append(update(SUBJECTS).where(SUBJECTS.c.head == entry["hash"])
                              .values(head=envelope.hash))  # fmt: skip
        return Mutation(kind, how, statements, [target(ENTRIES, entry)])

    def rewritten(self, what: str) -> Mutation:
        """A payload member, the signing time or the chain link of an entry changed."""
        entry = self.pick(self.p.entries)
        raw = json.loads(entry["body"])
        payload = raw["payload"]
        sigs = [Signature(s["keyid"], base64.b64decode(s["sig"])) for s in raw["signatures"]]
        if what == "payload_edited":
            name = self.rng.choice(sorted(set(payload) - {"time", "prev", "v"}))
            payload = {**payload, name: self.other(payload[name])}
            how = f"member {name!r} of a {payload['type']} changed"
        elif what == "time_changed":
            shift = timedelta(seconds=self.rng.choice([-1, 1]) * self.rng.randint(1, 864000))
            payload = {**payload, "time": format_time(parse_time(payload["time"]) + shift)}
            how = f"signing time of a {payload['type']} moved by {shift}"
        else:
            others = [e["hash"] for e in self.p.entries if e["hash"] != payload["prev"]]
            choices = [None, self.hex64(), self.rng.choice(others)]
            payload = {
                **payload,
                "prev": self.rng.choice([c for c in choices if c != payload["prev"]]),
            }
            how = f"chain link of a {payload['type']} pointed elsewhere"
        resign = self.rng.random() < 0.6
        return self._store(f"entry.{what}", how, entry, payload, None if resign else sigs)

    def signature_edited(self) -> Mutation:
        entry = self.pick(self.p.entries)
        raw = json.loads(entry["body"])
        sigs = [Signature(s["keyid"], base64.b64decode(s["sig"])) for s in raw["signatures"]]
        at = self.rng.randrange(len(sigs))
        if self.rng.random() < 0.5:
            sigs[at] = Signature(sigs[at].keyid, self.flip(sigs[at].sig))
            how = "one bit of a signature flipped"
        else:  # another party (or buyer) signs in its place, with its own stolen key
            mine = {s.keyid for s in sigs}
            keyid = self.rng.choice([k for k in self.story.signing_keys if k not in mine])
            [sigs[at]] = sign_payload(raw["payload"], [self.story.signing_keys[keyid]]).signatures
            how = "a signature replaced by a valid one of another key"
        return self._store("entry.signature_edited", how, entry, raw["payload"], sigs)

    def body_bit_flip(self) -> Mutation:
        entry = self.pick(self.p.entries)
        values: Row = {"body": self.flip(bytes(entry["body"]))}
        how = "one bit of the stored body flipped"
        if self.rng.random() < 0.5:
            values["hash"] = hashlib.sha256(values["body"]).hexdigest()
            how += ", hash column recomputed"
        statement = update(ENTRIES).where(ENTRIES.c.idx == entry["idx"]).values(**values)
        return Mutation("entry.body_bit_flip", how, [statement], [target(ENTRIES, entry)])

    def column_edited(self) -> Mutation:
        entry = self.pick(self.p.entries)
        name = self.rng.choice(["hash", "subject", "type", "prev", "signed_at", "integrated_at",
                                "checkpoint_size"])  # fmt: skip
        if name in ("subject", "type"):
            value = self.rng.choice(sorted({e[name] for e in self.p.entries} - {entry[name]}))
        elif name == "prev":
            value = self.rng.choice(["", self.hex64(), self.pick(self.p.entries)["hash"]])
        else:
            value = self.other(entry[name])
        statement = update(ENTRIES).where(ENTRIES.c.idx == entry["idx"]).values({name: value})
        return Mutation("entry.column_edited", f"{name} column changed", [statement],
                        [target(ENTRIES, entry)])  # fmt: skip

    def moved(self, what: str) -> Mutation:
        """An entry deleted, two swapped, or one appended again (re-serialised, or under another
        hash; the (subject, prev) key being unique, the copy claims another link or subject)."""
        entries = self.p.entries
        entry = self.pick(entries[:-1] if what == "reordered" else entries)
        if what == "deleted":
            return Mutation("entry.deleted", f"a {entry['type']} deleted",
                            [delete(ENTRIES).where(ENTRIES.c.idx == entry["idx"])],
                            [target(ENTRIES, entry)])  # fmt: skip
        if what == "reordered":
            first = entry["idx"]
            second = first + 1 if self.rng.random() < 0.5 else self.pick(entries)["idx"]
            second = second if second != first else first + 1
            moves = [(first, -1), (second, first), (-1, second)]
            return Mutation("entry.reordered", f"entries {first} and {second} swapped",
                            [update(ENTRIES).where(ENTRIES.c.idx == a).values(idx=b)
                             for a, b in moves],
                            [target(ENTRIES, entries[i]) for i in (first, second)])  # fmt: skip
        last = entries[-1]
        row = {**entry, "idx": last["idx"] + 1, "checkpoint_size": last["checkpoint_size"],
               "integrated_at": last["integrated_at"], "hash": self.hex64()}  # fmt: skip
        how = "an entry's exact bytes appended again under another hash"
        if self.rng.random() < 0.5:  # the same signed event, spelled another way
            row["body"] = json.dumps(json.loads(entry["body"]), indent=1).encode()
            row["hash"] = hashlib.sha256(row["body"]).hexdigest()
            how = "an entry appended again, re-serialised"
        dodge = self.rng.choice(["subject", "prev"])
        row[dodge] = self.other(row[dodge]) if dodge == "subject" else self.hex64()
        return Mutation("entry.duplicated", f"{how} ({dodge} column dodged)",
                        [insert(ENTRIES).values(**row)], [target(ENTRIES, row)])  # fmt: skip

    # -- checkpoints and nodes --------------------------------------------------------------

    def checkpoint_rewritten(self) -> Mutation:
        cp = self.pick(self.p.checkpoints)
        size, root, forged, note = cp["size"], bytes(cp["root"]), self.rng.randbytes(32), cp["note"]
        text, _, line = note.rstrip("\n").rpartition("\n")
        name, _, sig = line.rpartition(" ")
        flipped = base64.b64encode(self.flip(base64.b64decode(sig))).decode()
        away = "elsewhere.example/log"
        ways: dict[str, Callable[[], tuple[str, bytes]]] = {
            "signed by another key": lambda: (self._note(size, forged, self.stranger()), forged),
            "unsigned": lambda: (Note(self.story.origin, size, forged).body(), forged),
            "other root, stolen log key": lambda: (self._note(size, forged), forged),
            "other origin, stolen log key": lambda: (self._note(size, root, origin=away), root),
            "other size, stolen log key": lambda: (self._note(size + 1, root), root),
            "a bit of the signature flipped": lambda: (f"{text}\n{name} {flipped}\n", root),
            "truncated": lambda: (note[: self.rng.randrange(len(note))], root),
        }  # fmt: skip
        how = self.rng.choice(sorted(ways))
        values: Row = {}
        values["note"], new_root = ways[how]()
        if self.rng.random() < 0.5 and new_root != root:
            values["root"] = new_root
            how += ", root column to match"
        statement = update(CHECKPOINTS).where(CHECKPOINTS.c.size == size).values(**values)
        return Mutation("checkpoint.rewritten", how, [statement], [target(CHECKPOINTS, cp)])

    def checkpoint_tampered(self, what: str) -> Mutation:
        """A checkpoint's column edited, the row deleted, or a forged one inserted. Nothing signs
        a checkpoint's time, so the entries integrated with it name it too."""
        cp = self.pick(self.p.checkpoints)
        stored = {c["size"] for c in self.p.checkpoints}
        covered = [target(ENTRIES, e) for e in self.p.entries if e["checkpoint_size"] == cp["size"]]
        where = CHECKPOINTS.c.size == cp["size"]
        if what == "deleted":
            statement = delete(CHECKPOINTS).where(where)
            return Mutation("checkpoint.deleted", "a checkpoint deleted", [statement],
                            [target(CHECKPOINTS, cp), *covered])  # fmt: skip
        if what == "edited":
            name = self.rng.choice(["root", "signed_at", "size"])
            value = self.other(cp[name])
            while name == "size" and value in stored:
                value += 1
            return Mutation("checkpoint.edited", f"{name} column changed",
                            [update(CHECKPOINTS).where(where).values({name: value})],
                            [target(CHECKPOINTS, cp), target(CHECKPOINTS, {**cp, name: value}),
                             *covered])  # fmt: skip
        size = self.rng.choice([s for s in range(1, len(self.p.entries) + 5) if s not in stored])
        root, key = self.rng.randbytes(32), None if self.rng.random() < 0.5 else self.stranger()
        row = {"size": size, "root": root, "note": self._note(size, root, key),
               "signed_at": self.p.checkpoints[-1]["signed_at"]}  # fmt: skip
        how = f"a checkpoint of size {size} forged ({'stolen' if key is None else 'another'} key)"
        return Mutation("checkpoint.inserted", how, [insert(CHECKPOINTS).values(**row)],
                        [target(CHECKPOINTS, row)])  # fmt: skip

    def node_tampered(self) -> Mutation:
        (level, index), digest = self.rng.choice(sorted(self.p.nodes.items()))
        row: Row = {"level": level, "idx": index, "hash": digest}
        where = (NODES.c.level == level, NODES.c.idx == index)
        what = self.rng.choice(["edited", "deleted", "inserted"])
        if what == "edited":
            statement: Executable = update(NODES).where(*where).values(hash=self.flip(digest))
        elif what == "deleted":
            statement = delete(NODES).where(*where)
        else:
            while (row["level"], row["idx"]) in self.p.nodes:
                row = {**row, "idx": row["idx"] + self.rng.randint(1, 3)}
            statement = insert(NODES).values(**row)
        return Mutation(f"node.{what}", f"a level-{level} node {what}", [statement],
                        [target(NODES, row)])  # fmt: skip

    # -- derived tables and keys ------------------------------------------------------------

    def derived_tampered(self) -> Mutation:
        """A row of a table derived from the log edited, deleted, or copied under a new key
        (rating lines under a content hash no snapshot logged are never served: not that one)."""
        table = self.rng.choice([t for t in DERIVED if self.p.tables[t.name]])
        row = self.pick(self.p.tables[table.name])
        where = [c == row[c.name] for c in table.primary_key.columns]
        what = self.rng.choice(["edited", "edited", "deleted", "inserted"])
        if what == "deleted":
            return Mutation(f"derived.{table.name}", "a row deleted",
                            [delete(table).where(*where)], [target(table, row)])  # fmt: skip
        keys = [c for c in table.primary_key.columns if c.name != "content_hash"]
        column = self.rng.choice(keys if what == "inserted" else list(table.columns))
        new = {**row, column.name: self.other(row[column.name], column.type.python_type)}
        if what == "inserted":
            return Mutation(f"derived.{table.name}", f"a row copied under a new {column.name}",
                            [insert(table).values(**new)], [target(table, new)])  # fmt: skip
        return Mutation(f"derived.{table.name}", f"{column.name} changed",
                        [update(table).where(*where).values({column.name: new[column.name]})],
                        [target(table, row), target(table, new)])  # fmt: skip

    def key_tampered(self) -> Mutation:
        """A key that signed events: replaced, its validity narrowed, moved to another party, or
        deleted. Who owns a key is registry data, not logged: a reassignment shows only in what
        the key signed (signers the rules refuse, derived rows that still name the first owner)."""

        def signed_by(key: Row) -> list[Row]:
            return [e for e in self.p.entries if key["keyid"] in e["body"].decode()]

        key = self.pick([k for k in self.p.keys if signed_by(k)])
        signed = signed_by(key)
        times = sorted(parse_time(json.loads(e["body"])["payload"]["time"]) for e in signed)
        where = KEYS.c.keyid == key["keyid"]
        parties = sorted({k["party_id"] for k in self.p.keys if k["party_id"]} - {key["party_id"]})
        edits: dict[str, Callable[[], Executable]] = {
            "public_key": lambda: update(KEYS).where(where).values(
                public_key=self.stranger().public_key().public_bytes_raw()),
            "valid_from": lambda: update(KEYS).where(where).values(
                valid_from=times[0] + timedelta(seconds=self.rng.randint(1, 3600))),
            "revoked_at": lambda: update(KEYS).where(where).values(
                revoked_at=times[-1] - timedelta(seconds=self.rng.randint(0, 3600))),
            "party_id": lambda: update(KEYS).where(where).values(party_id=self.rng.choice(parties)),
            "deleted": lambda: delete(KEYS).where(where),
        }  # fmt: skip
        what = self.rng.choice(sorted(edits))
        targets = [target(KEYS, key), *(target(ENTRIES, e) for e in signed)]
        targets += [Target("custody_records", (("idx", e["idx"]),)) for e in signed]
        targets += [Target("subjects", (("id", e["subject"]),)) for e in signed]
        return Mutation(f"party_key.{what}", "a key that signed events", [edits[what]()], targets)


# The campaign's kinds, drawn round-robin so that each gets its share of the mutations.
DRAWS: list[Callable[[Tamper], Mutation]] = [
    Tamper.body_bit_flip, Tamper.signature_edited, Tamper.column_edited,
    *(lambda t, w=w: t.rewritten(w) for w in ("payload_edited", "time_changed", "prev_relinked")),
    *(lambda t, w=w: t.moved(w) for w in ("deleted", "reordered", "duplicated")),
    Tamper.checkpoint_rewritten,
    *(lambda t, w=w: t.checkpoint_tampered(w) for w in ("edited", "deleted", "inserted")),
    Tamper.node_tampered, Tamper.derived_tampered, Tamper.derived_tampered,
    Tamper.derived_tampered, Tamper.key_tampered,
]  # fmt: skip
