# JointOps: `make run` serves the board, `make test` runs the whole suite.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install run test test-dates lint bench

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	mkdir -p var
	$(BIN)/alembic upgrade head
	$(BIN)/jointops seed-demo --if-empty
	$(BIN)/jointops serve --host 127.0.0.1 --port 8000

# The whole suite on SQLite, then every database test again on PostgreSQL, then the
# non-browser suite at a date a year ahead and a year behind (Debian's faketime).
test: install
	$(BIN)/pytest
	JOINTOPS_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -m db
	$(MAKE) --no-print-directory test-dates

# tests/conftest.py keeps monotonic time real under faketime, so timed waits behave.
test-dates: install
	for offset in +365d -365d; do \
	  echo "== the suite at today $$offset"; \
	  faketime -f "$$offset" $(BIN)/pytest -m "not browser" || exit 1; \
	done

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy app

# Each benchmark prints its table and records it in bench/README.md (several minutes).
bench: install
	$(BIN)/python bench/solver.py
	$(BIN)/python bench/determinism.py
	$(BIN)/python bench/board.py
	$(BIN)/python bench/feeds.py --events 500
	JOINTOPS_BENCH_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python bench/feeds.py --events 500
