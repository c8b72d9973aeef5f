# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test lint lock bench venv migrate

# Runtime and development tools: `make run` and `make test` share one venv. Production installs the runtime
# only, from the hashed lock file (`pip install --require-hashes -r requirements.lock`, see docs/deploy.md).
$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

migrate: venv
	$(BIN)/python manage.py migrate --noinput

# Development unless told otherwise (`DEBUG=false SECRET_KEY=... make run` is production mode).
run migrate: export DEBUG ?= true

run: migrate
	@echo ""
	@echo "  Atelier is starting on http://$(HOST):$(PORT)/"
	@echo "  Sign up at http://$(HOST):$(PORT)/accounts/signup/ (or POST /api/auth/signup)."
	@echo "  No model key configured? The built-in offline model answers."
	@echo ""
	$(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Regenerate the hashed lock of the runtime after changing requirements.txt (needs pip-tools).
lock:
	pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements.lock requirements.txt

bench: venv
	$(BIN)/python -m bench all
