# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
DEMO_DB ?= demo.db

.PHONY: install run test test-fast clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

run: install
	@[ -f $(DEMO_DB) ] || $(VENV)/bin/tui-factu --db $(DEMO_DB) init --demo
	$(VENV)/bin/tui-factu --db $(DEMO_DB)

test: install
	$(VENV)/bin/python -m pytest

# the edit loop: the core, the printers and the import contracts (no terminal, no subprocess)
test-fast: install
	$(VENV)/bin/python -m pytest tests/core tests/printers tests/test_layers.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB).d
