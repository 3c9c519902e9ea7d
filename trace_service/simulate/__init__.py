"""The network simulator: a realistic courier network generated into the database through the
same signing and ingest path as real clients, with hidden fault rates written to a truth file.

Modules: params (sizes, rates, behaviour), names (made-up parties and goods, valid codes), world
(who exists and their hidden truth), draw (drawing the world from the seed), register
(registration through identity), timing (promises, delay budgets, scale noise), parcel, plan
and life (a parcel's route and what happens to it), complaints (who complains, and the truth
behind it), texts (what people write), events (signed submissions), engine (the simulated clock
and batches), pipeline (signing in a second process), truth (the truth file and its format),
driver (ingest, checks, hooks), cli (`flask simulate`). evaluation and evaluation_cli score the
service against a truth file.
"""
