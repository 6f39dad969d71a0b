# digest: every target that needs the virtualenv depends on it, so any target works first on a
# fresh clone. The recipes are quiet (@) so that stdout carries only what digest prints.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DIGEST := $(VENV)/bin/digest
STAMP := $(VENV)/.installed
# where `make link` puts digest: on PATH in most distributions' default profile
BINDIR ?= $(HOME)/.local/bin

.PHONY: install link test test-fast lint draft edit review export bench clean

$(STAMP): pyproject.toml
	@echo "Installing digest into $(VENV) ..." >&2
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]' >&2
	@touch $(STAMP)

install: $(STAMP)

# digest on PATH: a link to the venv's script, which runs the venv's Python wherever it is called
link: $(STAMP)
	@mkdir -p "$(BINDIR)"
	@ln -sfn "$(CURDIR)/$(DIGEST)" "$(BINDIR)/digest"
	@echo "Linked $(BINDIR)/digest to $(CURDIR)/$(DIGEST)" >&2
	@case ":$$PATH:" in *":$(BINDIR):"*) ;; *) echo "$(BINDIR) is not on PATH: add  export PATH=\"$(BINDIR):\$$PATH\"  to ~/.profile, then open a new shell" >&2 ;; esac

test: $(STAMP)
	@$(PY) -m pytest -n auto
	@$(MAKE) --no-print-directory lint

# the inner loop: the suite without its long sweeps (@pytest.mark.slow), which `make test` runs
test-fast: $(STAMP)
	@$(PY) -m pytest -n auto -m "not slow"

lint: $(STAMP)
	@$(VENV)/bin/ruff check pipeline tests scripts
	@$(VENV)/bin/ruff format --check pipeline tests scripts
	@$(VENV)/bin/mypy pipeline tests

draft: $(STAMP)
	@test -n "$(ID)" || { echo "Error: usage: make draft ID=2506.18896 [DATE=YYYY-MM-DD]" >&2; exit 2; }
	@$(DIGEST) draft "$(ID)" $(if $(DATE),--date "$(DATE)")

edit: $(STAMP)
	@test -n "$(ID)" || { echo "Error: usage: make edit ID=2506.18896 [DATE=YYYY-MM-DD]" >&2; exit 2; }
	@$(DIGEST) edit "$(ID)" $(if $(DATE),--date "$(DATE)")

review: $(STAMP)
	@test -n "$(ID)" || { echo "Error: usage: make review ID=2506.18896" >&2; exit 2; }
	@$(DIGEST) review "$(ID)"

export: $(STAMP)
	@test -n "$(DATE)" || { echo "Error: usage: make export DATE=YYYY-MM-DD|D1..D2 [FORMAT=text|markdown|html|json|vault] [OUT=PATH]" >&2; exit 2; }
	@$(DIGEST) export "$(DATE)" $(if $(FORMAT),--format "$(FORMAT)") $(if $(OUT),-o "$(OUT)")

bench: $(STAMP)
	@$(PY) scripts/bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
