# The README's two commands are `make lab` and `make test`; the rest are helpers.
# Every target sets up .venv first (once: a second run reuses it and returns quickly).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# JupyterLab's settings for the course (no news popup), installed by ./postBuild as on Binder
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
# Jupyter refuses to run as root unless told; learners are not root, CI is.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

COURSE_DIR ?= build/course

.PHONY: setup lab lab-instructor learner test test-fast test-oldest test-newest notebooks claims figures student site bench data clean hub assignments grade

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed; found: $$($(PYTHON) --version 2>&1). Run: make PYTHON=python3.11 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install -e ".[lab,test,classroom,site]"
	touch $(STAMP)

$(LAB_SETTINGS): lab-settings/overrides.json postBuild $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" ./postBuild

setup: $(STAMP) $(LAB_SETTINGS)

# The learner's JupyterLab: a config folder ahead of the environment's whose
# labconfig/page_config.json disables nbgrader's lab extensions (instructor tools)
LEARNER_CONFIG := $(abspath lab-settings/learner)

## make lab: set everything up and open the course (the learner edition, learner/) in JupyterLab
lab: $(STAMP) $(LAB_SETTINGS)
	JUPYTER_CONFIG_PATH="$(LEARNER_CONFIG)$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))" \
	  $(BIN)/jupyter lab --notebook-dir=learner $(ROOT_FLAG) $(LAB_ARGS)

## make lab-instructor: the instructor edition (notebooks/: solutions in place), nbgrader's tools on
lab-instructor: $(STAMP) $(LAB_SETTINGS)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

## make test: set everything up and run every test (unit tests, notebooks, browser)
## (no environment variables: conftest.py sets the test defaults, as for a plain `pytest`)
test: $(STAMP) $(LAB_SETTINGS)
	@bash tests/ensure-chromium.sh
	$(BIN)/python -m pytest -rs --nbval -n 2 --dist loadscope $(PYTEST_ARGS)

## make test-fast: the edit-and-test loop, under a minute: unit tests, docstring examples and
## notebook lint; no kernel, no browser, no site build, no fresh Python process (the tests marked
## kernel, browser, site or process run in make test)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not kernel and not browser and not site and not process" course_utils tests $(PYTEST_ARGS)

## make claims: every notebook over 10 seeds and the simulated machines (tools/claims.py);
## prints, per claim, the range seen and the band checked; writes docs/claims.md (~25 min)
claims: $(STAMP)
	$(BIN)/python -m tools.claims --write docs/claims.md $(CLAIMS_ARGS)

## make test-oldest: the unit tests and both editions' notebooks (nbval) on the oldest PyTorch
## pyproject.toml declares, in .venv-oldest/ (tests/torch_release.sh; first run ~6 min, 6 GB)
test-oldest:
	bash tests/torch_release.sh oldest

## make test-newest: the same on the newest torch and torchvision pip resolves with this
## machine's cap lifted (what a learner's fresh install gets), in .venv-newest/
test-newest:
	bash tests/torch_release.sh newest

## make notebooks: re-execute every notebook in place, storing fresh outputs; then the learner edition
notebooks: $(STAMP)
	$(BIN)/python -m tools.run_notebooks notebooks/*.ipynb
	$(BIN)/python -m tools.make_student --learner

## make learner: write the learner edition, learner/, from notebooks/ (never edit it by hand;
## `python -m tools.make_student --learner --check` says whether it is up to date)
learner: $(STAMP)
	$(BIN)/python -m tools.make_student --learner

## make figures: redraw the figures in img/ (deterministic PNGs used by the notebooks)
figures: $(STAMP)
	$(BIN)/python -m tools.make_figures

## make student: the student version in build/student/ (solutions stubbed, outputs cleared)
student: $(STAMP)
	$(BIN)/python -m tools.make_student notebooks build/student

## make hub: JupyterHub for a class, tried on this machine (root): http://127.0.0.1:8000,
## 3 trial students whose passwords are in build/hub-passwords.txt (docs/classroom.md)
hub: $(STAMP)
	@mkdir -p build
	bash classroom/setup.sh --students 3 --passwords build/hub-passwords.txt
	@echo "Log in at http://127.0.0.1:$${COURSE_HUB_PORT:-8000} as a student of build/hub-passwords.txt"
	$(BIN)/jupyterhub -f classroom/jupyterhub_config.py

## make assignments: the nbgrader course in $(COURSE_DIR): sources and the students' release/
assignments: $(STAMP)
	$(BIN)/python -m classroom.make_assignments notebooks $(COURSE_DIR)

## make grade ASSIGNMENT=03_backpropagation [SUBMISSIONS=folder]: autograde in a sandbox (root),
## feedback/<student>/ and grades.csv in $(COURSE_DIR)
grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "Which assignment? make grade ASSIGNMENT=03_backpropagation [SUBMISSIONS=folder]"; exit 2; }
	bash classroom/setup.sh
	$(BIN)/python -m classroom.grade $(ASSIGNMENT) --course $(COURSE_DIR) $(if $(SUBMISSIONS),--submissions $(SUBMISSIONS))

## make site: the course as a static website in build/site/ (Jupyter Book 1.x, notebooks not
## executed; the learner edition, no solutions; offline: open build/site/index.html or serve it)
site: $(STAMP)
	$(BIN)/python -m tools.make_site --out build/site

## make data: fetch full MNIST once into data/ (then copy data/ to offline machines)
data: $(STAMP)
	$(BIN)/python -c "import course_utils as cu; cu.load_mnist(source='torchvision')"

## make bench: measure the course's speed against the textbook pipeline (a few minutes)
bench: $(STAMP)
	COURSE_OFFLINE=1 COURSE_PROGRESS=0 $(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf build .pytest_cache
