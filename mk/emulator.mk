# Python environment for the local AWS emulator (tests/emulator), which the
# integration tests in tests/ start. Included from the top-level Makefile, so
# paths are relative to the repository root.

EMULATOR_PYTHON ?= python3
EMULATOR_VENV := .venv
MOTO_VERSION := 5.2.5
MOTO_EXTRAS := server,s3,s3control,sns,sqs,cloudtrail,guardduty,kms,sts,ssm,secretsmanager,config

# The stamp names the moto version and extras, so changing either reinstalls.
comma := ,
MOTO_STAMP := $(EMULATOR_VENV)/.stamp-moto-$(MOTO_VERSION)-$(subst $(comma),-,$(MOTO_EXTRAS))

.PHONY: venv
venv: $(MOTO_STAMP)

$(MOTO_STAMP):
	$(EMULATOR_PYTHON) -m venv $(EMULATOR_VENV)
	$(EMULATOR_VENV)/bin/python -m pip install --disable-pip-version-check --quiet \
		'moto[$(MOTO_EXTRAS)]==$(MOTO_VERSION)'
	rm -f $(EMULATOR_VENV)/.stamp-moto-*
	touch $@
