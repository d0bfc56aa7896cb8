# Badge Platform. `make run` and `make test` work on a fresh clone with only Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OBVENV := var/obvenv

.PHONY: run test typecheck lint-imports worker beat lint install migrate demo obvenv clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py loaddemo

## Serve the app at http://127.0.0.1:8000 with a Celery worker and beat beside it (embedded default).
run: demo
	exec bin/run-embedded

worker: install
	$(VENV)/bin/celery -A badgeplatform worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A badgeplatform beat --loglevel=INFO

## Debian's chromium and libcairo2 first (installed when missing and allowed, else one line saying what to
## install), the type check and the layer check, then the whole suite; uses PostgreSQL/Redis when
## DATABASE_URL/REDIS_URL are set, else SQLite.
test: system-packages typecheck lint-imports obvenv
	$(PY) -m pytest

system-packages:
	@bin/ensure-system-packages

## mypy with the Django and DRF plugins, configured in pyproject.toml ([tool.mypy]).
typecheck: install
	$(VENV)/bin/mypy

## import-linter: an app imports only from the layers below it (README "Architecture"; pyproject.toml).
lint-imports: install
	$(VENV)/bin/lint-imports

lint: install
	$(VENV)/bin/ruff check .

## The 1EdTech reference validator in a virtualenv of its own (its pins clash with ours).
obvenv: $(OBVENV)/.installed

$(OBVENV)/.installed: tools/ob2/requirements.txt
	test -x $(OBVENV)/bin/python || $(PYTHON) -m venv $(OBVENV)
	$(OBVENV)/bin/pip install --quiet -r tools/ob2/requirements.txt
	$(OBVENV)/bin/pip install --quiet --no-deps openbadges==1.1.2
	touch $@

clean:
	rm -rf $(VENV) var

## The issuing benchmark (issue 4): 10,000-row CSV preview, recording, bake and email. Needs PostgreSQL + Redis.
.PHONY: bench-issue
bench-issue: install
	$(PY) bench/issue_bulk.py
