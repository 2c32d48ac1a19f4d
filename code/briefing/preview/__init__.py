"""The preview: ``briefing preview`` serves the site, watches the sources and rebuilds what changed.

``session`` runs it (warm kernels, watcher, HTML then PDF); ``server`` serves
``_book/`` on 127.0.0.1 with a live-reload channel and shows a failed build's
message over the last good page.
"""
