"""ledger domain: canonical JSON, signatures, per-subject chains, Merkle log, checkpoints."""
