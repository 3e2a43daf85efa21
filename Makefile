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

# Fuzzing is not part of `make test`: each target runs for FUZZ_SECONDS.
# cargo fuzz needs nightly features; RUSTC_BOOTSTRAP=1 enables them on this stable toolchain.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := policy snapshot

.PHONY: fuzz
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	fuzz/seed.sh
	for target in $(FUZZ_TARGETS); do \
		( cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run $$target corpus/$$target -- -max_total_time=$(FUZZ_SECONDS) ) || exit 1; \
	done
