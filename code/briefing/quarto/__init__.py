"""The briefing under real Quarto: what ``quarto render`` runs around the book through the project's
extension (``_extensions/briefing``), so that it gives the reader what ``briefing build`` gives.

* :mod:`briefing.quarto.prerender`: before Quarto renders, the metadata the extension's filters read
  (the claim map, the data files' titles, each page's record), written where ``_quarto.yml``'s
  ``metadata-files`` finds it, and the PDF's generated appendices;
* :mod:`briefing.quarto.freeze`: Quarto's ``_freeze/`` from the committed notebooks, so that Quarto executes
  only the chapters whose record is stale;
* :mod:`briefing.quarto.postrender`: after Quarto renders, the site's reader features (notebook pages,
  downloads, the What changed page, search and previews);
* :mod:`briefing.quarto.outline`: the book as both steps read it, once.

The built-in engine computes the same metadata in-process from the same functions
(:func:`briefing.verdicts.verdict_links`, :func:`briefing.data.resource_titles`).
"""
