# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Preview URLs made outside a request (automatic deploys) need the port the server listens on.
ATELIER_PREVIEW_PORT ?= $(PORT)
export HOST PORT ATELIER_PREVIEW_PORT

.PHONY: run test lint bench venv migrate

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
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

bench: venv
	$(BIN)/python -m bench all
