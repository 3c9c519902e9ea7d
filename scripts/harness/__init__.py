"""The parts scripts/benchmark.py, crash_test.py and load_test.py are built from (not run on their
own): a world of registered parties and pre-signed events, gunicorn over a fresh database, request
replay from client processes, and the pieces of each script's run."""
