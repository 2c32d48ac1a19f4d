"""The built-in engine: renders the Quarto book with Jupyter, Pandoc and Typst.

Pipeline: ``project`` reads _quarto.yml; ``qmd`` parses chapters; ``notebook``
turns a chapter into a notebook, stamps and executes it (the freeze);
``assemble`` turns an executed notebook into Pandoc markdown; ``pandoc`` and
the Lua filters in ``filters/`` make HTML pages and a Typst document; ``site``
lays out the HTML site; ``pdf`` compiles the Typst document; ``build``
orchestrates and swaps the result into ``_book/`` only when everything worked.
"""


class BuildError(Exception):
    """A build failure with one clear message naming the file and line."""


class PublishedButIncomplete(BuildError):
    """A failure after (part of) the new output was published: the message says so, not "left untouched"."""
