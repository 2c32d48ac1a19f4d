"""What changed between two editions of the briefing, read from git without executing anything.

``tree`` reads a project's files at a git revision or in the working tree;
``edition`` extracts what a reader sees from those files (each chapter's inline
values, tables and figures from its committed notebook, the verdicts in
``data/claims.csv``, the rows and hashes of ``data/``); ``compare`` lists the
differences; ``report`` prints them as text, Markdown or JSON (``briefing diff``).
"""
