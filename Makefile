# Badge Platform. `make run` and `make test` work on a fresh clone with only Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OBVENV := var/obvenv
OB3CHECK := var/ob3check
# The offline OB 3.0 verifier (Digital Bazaar's libraries and the 1EdTech schema), outside the project.
OB3CHECK_SRC ?= ../shared/tools/ob3check
# The OpenID4VCI wallet client the wallet tests drive (Animo's @openid4vc/openid4vci, pinned), outside the project.
OID4VCI_CLIENT := var/oid4vci-client

.PHONY: lock run test typecheck lint-imports api-fuzz worker beat lint install migrate demo obvenv ob3check oid4vci-client clean

# Installs exactly the locked versions, each checked against its hash (requirements/dev.txt, made by
# `make lock` from pyproject.toml), then the project itself with no further resolution.
$(STAMP): pyproject.toml requirements/dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

## Re-compile the lock files from pyproject.toml after changing a dependency there (pins already in the
## files are kept); `make lock UPGRADE=--upgrade` moves every pin to the newest allowed version.
LOCK := $(VENV)/bin/uv pip compile pyproject.toml requirements/build.in --generate-hashes --quiet \
        --python-version 3.11 --python-platform x86_64-manylinux_2_28 $(UPGRADE)
# No `install` prerequisite: compiling needs only uv, and must never reinstall a shared virtualenv.
lock:
	@test -x $(VENV)/bin/uv || { echo "uv is missing: run make install first"; exit 1; }
	$(LOCK) -o requirements/prod.txt
	$(LOCK) --extra dev -o requirements/dev.txt

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
## DATABASE_URL/REDIS_URL are set, else SQLite. The suite runs in TEST_WORKERS pytest processes (pytest-xdist;
## one per core, 2 to 4; each with its own test database, Redis database and VAR_DIR: tests/xdist_worker.py),
## each taking whole test files (--dist loadfile: a module's fixtures are built once). TEST_WORKERS=0: one process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ "$$n" -lt 2 ] && n=2; [ "$$n" -gt 4 ] && n=4; echo $$n)
test: system-packages typecheck lint-imports obvenv ob3check oid4vci-client
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

system-packages:
	@bin/ensure-system-packages

## mypy with the Django and DRF plugins, configured in pyproject.toml ([tool.mypy]).
typecheck: install
	$(VENV)/bin/mypy

## import-linter: an app imports only from the layers below it (README "Architecture"; pyproject.toml).
lint-imports: install
	$(VENV)/bin/lint-imports

## Schemathesis against our OpenAPI schema with a tenant API key: no generated request may get a 5xx.
## Part of `make test`; alone, with more examples per operation: make api-fuzz SCHEMATHESIS_EXAMPLES=200
SCHEMATHESIS_EXAMPLES ?= 15
api-fuzz: install
	SCHEMATHESIS_EXAMPLES=$(SCHEMATHESIS_EXAMPLES) $(PY) -m pytest tests/api/test_api_schemathesis.py -q

lint: install
	$(VENV)/bin/ruff check .

## The 1EdTech reference validator in a virtualenv of its own (its pins clash with ours).
obvenv: $(OBVENV)/.installed

$(OBVENV)/.installed: tools/ob2/requirements.txt
	test -x $(OBVENV)/bin/python || $(PYTHON) -m venv $(OBVENV)
	$(OBVENV)/bin/pip install --quiet -r tools/ob2/requirements.txt
	$(OBVENV)/bin/pip install --quiet --no-deps openbadges==1.1.2
	touch $@

## ob3check, the outside judge of our Open Badges 3.0 credentials, copied to var/ob3check with its pinned
## npm packages (`npm ci`); never committed into the project. Needs Node >= 20.
ob3check: $(OB3CHECK)/.installed

$(OB3CHECK)/.installed: $(OB3CHECK_SRC)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "ob3check needs Node.js >= 20 and npm"; exit 1; }
	rm -rf $(OB3CHECK) && mkdir -p $(OB3CHECK)
	cp -R $(OB3CHECK_SRC)/. $(OB3CHECK)/ && rm -rf $(OB3CHECK)/node_modules
	cd $(OB3CHECK) && npm ci --no-audit --no-fund --silent
	touch $@

## A real OpenID4VCI 1.0 wallet client for tests/wallets (tools/oid4vci-client: package.json, its lock and the
## small script that drives it), installed with `npm ci` into var/oid4vci-client; never committed. Needs Node >= 20.
oid4vci-client: $(OID4VCI_CLIENT)/.installed

$(OID4VCI_CLIENT)/.installed: tools/oid4vci-client/package-lock.json tools/oid4vci-client/package.json tools/oid4vci-client/wallet.mjs
	@command -v npm >/dev/null 2>&1 || { echo "the wallet tests need Node.js >= 20 and npm"; exit 1; }
	rm -rf $(OID4VCI_CLIENT) && mkdir -p $(OID4VCI_CLIENT)
	cp tools/oid4vci-client/package.json tools/oid4vci-client/package-lock.json tools/oid4vci-client/wallet.mjs $(OID4VCI_CLIENT)/
	cd $(OID4VCI_CLIENT) && npm ci --no-audit --no-fund --silent
	touch $@

clean:
	rm -rf $(VENV) var

## The issuing benchmark (issue 4): 10,000-row CSV preview, recording, bake and email, then the same cohort's
## Open Badges 3.0 credentials (issue 16). Needs PostgreSQL + Redis.
.PHONY: bench-issue
bench-issue: install
	$(PY) bench/issue_bulk.py
	$(PY) bench/issue_ob3.py  # the same cohort's OB 3.0 credentials: all made and baked, and their cost
