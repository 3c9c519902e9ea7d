"""The audit: the log verifier stands on top of every domain, because it checks everyone.

It re-reads the whole database and replays every entry through the rules, fact sources and
indexers the domains registered (`ledger.records`, `ledger.indexing`), never through a domain's
own code paths, and names every row that does not hold.
"""
