# The two commands of the README: `make run` and `make test`; `make install-system` for a shop.
VENV ?= .venv
PYTHON ?= python3
DEMO_DB ?= demo.db
# install-system: where (the clerks' SSH launcher runs PREFIX/bin/tui-factu-ssh), and with a
# Python every account may run: not one under a 0700 home (pyenv's, a user's), whose venv would
# answer "Permission denied" to every clerk.
PREFIX ?= /opt/tui-factu
SYSTEM_PYTHON ?= /usr/bin/python3
CHECK_PYTHON = import os, sys, pathlib; \
  sys.version_info >= (3, 11) or sys.exit("make install-system : il faut Python 3.11 ou plus (SYSTEM_PYTHON=...)"); \
  paths = [pathlib.Path(os.path.realpath(p)) for p in (sys.executable, os.path.dirname(os.__file__))]; \
  bad = [str(d) for p in paths for d in (p, *p.parents) if not os.stat(d).st_mode & 0o001]; \
  bad and sys.exit(f"make install-system : {bad[0]} est fermé aux autres comptes ; prenez un Python du système " \
                   "(SYSTEM_PYTHON=/usr/bin/python3)")

.PHONY: install run test test-fast clean install-system

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

# A shared installation the clerks can run (README, « Serving clerks over SSH »): a venv under
# PREFIX, readable by all and writable by its installer only, the program and the SSH launcher
# side by side in PREFIX/bin, every module compiled ahead (clerks cannot write bytecode there).
install-system:
	@$(SYSTEM_PYTHON) -c '$(CHECK_PYTHON)'
	umask 022 && $(SYSTEM_PYTHON) -m venv $(PREFIX)/venv
	umask 022 && $(PREFIX)/venv/bin/pip install -q --no-warn-script-location .
	umask 022 && $(PREFIX)/venv/bin/python -m compileall -q $(PREFIX)/venv/lib
	install -d -m 0755 $(PREFIX)/bin
	ln -sfn ../venv/bin/tui-factu $(PREFIX)/bin/tui-factu
	install -m 0755 data/ssh/tui-factu-ssh $(PREFIX)/bin/tui-factu-ssh
	chmod -R u+rwX,go+rX,go-w $(PREFIX)
	@echo "Installé dans $(PREFIX) : $(PREFIX)/bin/tui-factu, et $(PREFIX)/bin/tui-factu-ssh pour le ForceCommand de sshd"

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB).d
