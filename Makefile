# sitegen: the two commands a publisher needs are `make build` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
STAMP  := $(VENV)/.stamp-install
TSTAMP := $(VENV)/.stamp-test
ARGS   ?=

.PHONY: build serve test test-tools bench audit clean help

help:
	@echo "make build   create .venv, install sitegen, build the site into output/"
	@echo "make serve   preview with live reload on http://127.0.0.1:8000/"
	@echo "make test    install the test tools (Python, chromium, Nu HTML checker) and run the suite"
	@echo "make bench   run the build benchmark"
	@echo "make clean   remove output/, caches and .venv"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

build: $(STAMP)
	$(PY) build.py $(ARGS)

serve: $(STAMP)
	$(PY) build.py serve $(ARGS)

# Test tools: Python dev dependencies, Debian's chromium (Playwright drives it; it cannot download browsers
# here), Java for the Nu HTML checker, and npm's vnu-jar and axe-core.
$(TSTAMP): $(STAMP) pyproject.toml
	$(PIP) install -e '.[test]'
	touch $@

test-tools: $(TSTAMP)
	@command -v chromium >/dev/null && command -v java >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium default-jre-headless >/dev/null; }
	@test -f node_modules/vnu-jar/build/dist/vnu.jar -a -f node_modules/axe-core/axe.min.js -a -f node_modules/sitemap/schema/sitemap.xsd || npm ci --no-audit --no-fund --loglevel=error

test: test-tools
	$(PY) -m pytest $(ARGS)

bench: $(STAMP)
	$(PY) bench/run.py $(ARGS)

clean:
	rm -rf output .sitegen-cache test-artifacts .hypothesis $(VENV) node_modules

# Lighthouse audit (not part of `make test`): npm's lighthouse@12.2.3 with Debian's chromium.
tools/audit/node_modules/.bin/lighthouse: tools/audit/package.json
	cd tools/audit && npm install --no-audit --no-fund --loglevel=error
	touch $@

audit: $(STAMP) test-tools tools/audit/node_modules/.bin/lighthouse
	CHROME_PATH=/usr/bin/chromium $(PY) tools/audit.py
