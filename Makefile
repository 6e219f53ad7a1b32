# The README's two commands: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
UV := uv>=0.9,<1
CI_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
CI_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test lint typecheck locales messages lock clean

# Exactly the locked versions (with their hashes), then the project itself without resolving again.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# After changing a dependency in pyproject.toml: pin the newest versions its ranges allow.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet '$(UV)'
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		--quiet --output-file $(LOCK)

locales: $(STAMP)
	$(BIN)/pybabel compile --domain=messages --directory=locales --statistics

# After changing user-facing strings: extract them and merge into every locale's catalogue.
messages: $(STAMP)
	$(BIN)/pybabel extract --mapping-file=babel.cfg --keywords=N_ --keywords=__ \
		--keywords=ngettext:1,2 --keywords=pgettext:1c,2 --add-comments=TRANSLATORS: \
		--sort-by-file --project=pumpurs --output-file=locales/messages.pot api bot handlers core storage
	$(BIN)/pybabel update --domain=messages --input-file=locales/messages.pot \
		--output-dir=locales --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python scripts/fill_english_catalogue.py

run: locales
	$(BIN)/pumpurs db upgrade
	$(BIN)/pumpurs demo-data --if-empty
	$(BIN)/pumpurs serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy, as configured in pyproject.toml: strict for core/ and storage/, the default elsewhere.
typecheck: $(STAMP)
	$(BIN)/mypy

# Under CI=true the whole suite runs on PostgreSQL and Redis, then the core tests once more on
# the SQLite default. Elsewhere it runs on SQLite, and tests that need a server skip with a reason.
# Two workers (pytest-xdist), each with a Redis database of its own (tests/conftest.py).
test: lint typecheck locales
ifeq ($(CI),true)
	TEST_DATABASE_URL=$(CI_DATABASE_URL) TEST_REDIS_URL=$(CI_REDIS_URL) $(BIN)/pytest -q -n 2
	TEST_DATABASE_URL=sqlite://:memory: $(BIN)/pytest -q -n 2 tests/core
else
	$(BIN)/pytest -q -n 2
endif

clean:
	rm -rf $(VENV) .pytest_cache pumpurs.sqlite3*
