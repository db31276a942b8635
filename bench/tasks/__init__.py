"""The no-op job and the latency probe of every peer, importable by the peers' workers
(bench/ is on PYTHONPATH). Each probe records, as its first act, how late it started
(now - the reference time carried in its arguments) in the list ``bench:lat``."""
