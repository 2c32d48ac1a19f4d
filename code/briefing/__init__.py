"""briefing: the tested library behind the DeepSeek R1 briefing.

Modules: ``arch`` (model arithmetic), ``economics`` (compute, cost, prices),
``data`` (load and validate data/), ``claims`` (the ledger and verdicts),
``render`` (the built-in Quarto-subset engine), ``cli`` (the ``briefing`` command).
"""

__version__ = "0.1.0"
