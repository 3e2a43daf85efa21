# Bucket Warden: build, test and demo targets.
#
#   make demo   start the local emulator, run the demo and print its reports
#   make test   lints and every test (starts the emulator itself)
#
# Both install what they need: moto's server in .venv (see mk/emulator.mk).

CARGO ?= cargo

include mk/emulator.mk

# Tools for linting the templates, building the functions and deploying, installed
# into the same virtualenv as the emulator, at pinned versions.
CFN_LINT_VERSION := 1.58.0
CARGO_LAMBDA_VERSION := 1.9.2
ZIGLANG_VERSION := 0.17.0
SAM_CLI_VERSION := 1.170.0
CFN_LINT_STAMP := $(EMULATOR_VENV)/.stamp-cfn-lint-$(CFN_LINT_VERSION)
CARGO_LAMBDA_STAMP := $(EMULATOR_VENV)/.stamp-cargo-lambda-$(CARGO_LAMBDA_VERSION)
SAM_STAMP := $(EMULATOR_VENV)/.stamp-sam-$(SAM_CLI_VERSION)
FUNCTIONS := bucket-event scheduled-audit slack-notifier
TEMPLATES := infra/template.yaml infra/region-forwarder.yaml

.PHONY: setup build build-debug test lint lint-templates fmt demo deploy clean

setup: venv
	$(CARGO) fetch

$(CFN_LINT_STAMP): $(MOTO_STAMP)
	$(EMULATOR_VENV)/bin/python -m pip install --disable-pip-version-check --quiet 'cfn-lint==$(CFN_LINT_VERSION)'
	touch $@

$(CARGO_LAMBDA_STAMP): $(MOTO_STAMP)
	$(EMULATOR_VENV)/bin/python -m pip install --disable-pip-version-check --quiet \
		'cargo-lambda==$(CARGO_LAMBDA_VERSION)' 'ziglang==$(ZIGLANG_VERSION)'
	touch $@

$(SAM_STAMP): $(MOTO_STAMP)
	$(EMULATOR_VENV)/bin/python -m pip install --disable-pip-version-check --quiet 'aws-sam-cli==$(SAM_CLI_VERSION)'
	touch $@

# Release builds of every function for Lambda (arm64, provided.al2023):
# target/lambda/FUNCTION/bootstrap.
build: $(CARGO_LAMBDA_STAMP)
	rustup target add aarch64-unknown-linux-gnu
	PATH="$(CURDIR)/$(EMULATOR_VENV)/bin:$$PATH" $(CARGO) lambda build --release --arm64 \
		$(addprefix -p ,$(FUNCTIONS))

build-debug:
	$(CARGO) build --workspace

# The first deployment asks for the stack's parameters and saves them in samconfig.toml.
deploy: $(SAM_STAMP) $(CARGO_LAMBDA_STAMP)
	PATH="$(CURDIR)/$(EMULATOR_VENV)/bin:$$PATH" sam build --template-file infra/template.yaml --beta-features
	if [ -f samconfig.toml ]; then \
		PATH="$(CURDIR)/$(EMULATOR_VENV)/bin:$$PATH" sam deploy; \
	else \
		PATH="$(CURDIR)/$(EMULATOR_VENV)/bin:$$PATH" sam deploy --guided --capabilities CAPABILITY_NAMED_IAM; \
	fi

lint-templates: $(CFN_LINT_STAMP)
	$(EMULATOR_VENV)/bin/cfn-lint $(TEMPLATES)

lint: lint-templates
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
FUZZ_TARGETS := policy snapshot merge event

.PHONY: fuzz
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	fuzz/seed.sh
	for target in $(FUZZ_TARGETS); do \
		( cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run $$target corpus/$$target -- -max_total_time=$(FUZZ_SECONDS) ) || exit 1; \
	done

# Benchmark of `bucketwarden audit --all` and of the Lambda functions against a
# local canned-response endpoint and Lambda Runtime API (bench/). Writes
# BENCHMARKS.md and bench/results.json. The package sizes use the arm64 bootstraps
# of `make build` when they exist, else the x86_64 release binaries.
BENCH_ARGS ?= --buckets 100,1000,10000 --runs 3 --latency-ms 20 --concurrency 32

.PHONY: bench
bench:
	$(CARGO) build --release -p bucketwarden -p bucket-event -p scheduled-audit -p slack-notifier
	$(CARGO) run --release -p bucketwarden-bench -- $(BENCH_ARGS)
