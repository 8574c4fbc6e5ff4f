"""A service desk that lives in a GitHub repository.

The package is a library first: :mod:`tracker.config` loads and validates policy,
:mod:`tracker.engine` turns tickets plus ``now`` into a plan, adapters
(:mod:`tracker.ledger`, :mod:`tracker.github_hub`) do the I/O, and :mod:`tracker.cli`
is a thin shell over all of it.
"""

__version__ = "0.1.0"
