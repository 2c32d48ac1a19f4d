# The two commands of the README: `make` (setup + build) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: all book test bench check lock clean release

all: book

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# mermaid.js, pinned in package-lock.json, for the chapters' diagrams (the engine draws them on the site and in
# the PDF); the install runs no package scripts.
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --loglevel=error
	touch $(NODE_STAMP)

book: $(STAMP) $(NODE_STAMP)
	$(BIN)/briefing build

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP) $(NODE_STAMP)
	$(BIN)/python bench/bench.py

release: $(STAMP) $(NODE_STAMP)
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z"; exit 2; }
	$(BIN)/briefing release $(VERSION) $(if $(WHY),--why "$(WHY)")

check: $(STAMP)
	$(BIN)/briefing check

lock:
	$(BIN)/pip freeze --all --exclude-editable | grep -v "^pip==" | grep -v '^briefing' > requirements.lock.new
	{ head -2 requirements.lock; cat requirements.lock.new; } > requirements.lock.tmp && mv requirements.lock.tmp requirements.lock && rm requirements.lock.new
	$(BIN)/python tools/sync_environment.py

clean:
	rm -rf _book .briefing-cache .book-staging-* dist
