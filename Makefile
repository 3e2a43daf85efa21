# Bucket Warden: build, test and demo targets.
#
#   make demo   start the local emulator, run the demo and print its reports
#   make test   lints and every test (starts the emulator itself)
#
# Both install what they need: moto's server in .venv (see mk/emulator.mk).

CARGO ?= cargo

include mk/emulator.mk

.PHONY: setup build test lint fmt demo clean

setup: venv
	$(CARGO) fetch

build:
	$(CARGO) build --workspace

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test: venv lint
	$(CARGO) test --workspace

fmt:
	$(CARGO) fmt --all

demo: venv
	$(CARGO) run --quiet -p bucketwarden-tests --bin demo

clean:
	$(CARGO) clean
	rm -rf $(EMULATOR_VENV)
