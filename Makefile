# Magpie — the two commands a newcomer needs:
#   make run    the local SDC on the embedded default, with a simulated day
#   make test   installs what the tests need, then runs every test
SHELL := /bin/bash
GO ?= go
DATA ?= .magpie
ADDR ?= 127.0.0.1:8080
DAY ?= 2015-10-16
DAYS ?= 1
BIN := bin/magpie

export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: run build test test-go test-infra deps deps-apt deps-emulators deps-sfn vet fmt bench clean help \
	functions synth deploy deploy-local scenario-deployed diff

help:
	@echo "make run    simulate $(DAYS) day(s) from $(DAY) for every spacecraft and serve the SDC at http://$(ADDR)/"
	@echo "make test   install test tools (jcdf, DynamoDB Local, Node 22 + aws-local-stepfunctions) and run all tests"
	@echo "make bench  run the Go benchmarks recorded in docs/benchmarks.md"

build:
	$(GO) build -o $(BIN) ./cmd/magpie

# run: a simulated mission day flows into a fresh local SDC. The files are
# written into the dropbox first, so the server's start-up sweep ingests them
# all and the status page shows the result.
run: build
	@if [ -z "$$(ls -A $(DATA)/dropbox 2>/dev/null | grep -v quarantine)" ] && [ ! -f $(DATA)/magpie.db ]; then \
		$(BIN) simulate --out $(DATA)/dropbox --start $(DAY) --days $(DAYS); \
		pw=$$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'); \
		MAGPIE_PASSWORD=$$pw $(BIN) users add --data $(DATA) --roles operator,super-sitl,sitl,scientist admin >/dev/null && \
		(umask 077; echo "$$pw" > $(DATA)/admin-password); \
	else \
		echo "$(DATA) already holds an SDC; 'make clean' starts over"; \
	fi
	@echo "Team sign-in: http://$(ADDR)/team/ as admin, password in $(DATA)/admin-password"
	$(BIN) serve --data $(DATA) --addr $(ADDR) --sitl-deadline 90s

# ---- tests -------------------------------------------------------------------
# deps installs what the tests need on a fresh machine; every step is
# idempotent and quiet when there is nothing to do.
deps: deps-apt deps-emulators deps-sfn

deps-apt:
	@missing=""; \
	[ -f /usr/share/java/jcdf.jar ] || missing="$$missing libjcdf-java"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing (independent CDF reader; headless browser for page tests)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
		  || { echo "make: could not install$$missing with apt-get" >&2; exit 1; }; \
	fi

deps-emulators:
	@scripts/emulators/install.sh

deps-sfn:
	@if [ -x scripts/sfn-diff/install.sh ]; then scripts/sfn-diff/install.sh; fi

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# test starts the AWS emulators on loopback ports for the adapter contract
# tests and stops them again whatever the outcome.
test: deps vet
	@scripts/emulators/start.sh
	@set -a; . .tools/emulators.env; set +a; \
	status=0; \
	MAGPIE_REQUIRE_JCDF=1 MAGPIE_REQUIRE_EMULATORS=1 MAGPIE_REQUIRE_CHROMIUM=1 MAGPIE_REQUIRE_SFN_DIFF=1 \
	  $(GO) test -count=1 -timeout 15m ./... || status=$$?; \
	scripts/emulators/stop.sh >/dev/null 2>&1 || true; \
	exit $$status
	@$(MAKE) --no-print-directory test-infra

# test-go runs the Go tests without installing anything (tests that need a
# missing tool skip).
test-go:
	$(GO) test ./...

# ---- AWS (infra/: its own Go module, so the product's build never compiles CDK)
# CDK Go runs jsii on node; Node 22 (from deps-sfn) is several times faster
# than the system's Node 20.
NODE22 := $(CURDIR)/.tools/sfn/node_modules/node/bin
INFRA_ENV := PATH="$(NODE22):$$PATH"
STAGE ?= staging
CDK ?= npx --yes aws-cdk@2
CDKLOCAL ?= npx --yes --package aws-cdk@2 --package aws-cdk-local@3 cdklocal
FUNCTIONS := $(notdir $(patsubst %/main.go,%,$(wildcard functions/*/main.go)))

# functions: one provided.al2023 arm64 bootstrap per functions/<name>, zipped.
# PROFILE=FILE bundles a mission profile (the stage's "profile" setting).
functions:
	@rm -rf dist/functions; set -e; for f in $(FUNCTIONS); do \
		mkdir -p dist/functions/$$f; \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -tags lambda.norpc \
		  -o dist/functions/$$f/bootstrap ./functions/$$f; \
		if [ -n "$(PROFILE)" ]; then cp "$(PROFILE)" dist/functions/$$f/profile.yaml; fi; \
		(cd dist/functions/$$f && rm -f ../$$f.zip && zip -q -X ../$$f.zip *); \
		echo "dist/functions/$$f: $$(stat -c %s dist/functions/$$f/bootstrap) bytes, zip $$(stat -c %s dist/functions/$$f.zip) bytes"; \
	done

# test-infra: assertions and cdk-nag on the synthesized stack (Go tests in
# infra/), then cfn-lint on the template `make synth` writes.
test-infra: deps-sfn functions
	cd infra && $(INFRA_ENV) $(GO) vet ./... && $(INFRA_ENV) $(GO) test -count=1 ./...
	@$(MAKE) --no-print-directory synth
	cfn-lint cdk.out/*.template.json

synth: functions
	@rm -rf cdk.out
	cd infra && $(INFRA_ENV) STAGE=$(STAGE) $(GO) run .
	@ls cdk.out/*.template.json

deploy: functions
	$(INFRA_ENV) $(CDK) deploy -c stage=$(STAGE) --require-approval broadening --outputs-file dist/outputs-$(STAGE).json

diff: functions
	$(INFRA_ENV) $(CDK) diff -c stage=$(STAGE)

# deploy-local: LocalStack (needs Docker and a LocalStack auth token).
deploy-local: functions
	$(INFRA_ENV) $(CDKLOCAL) bootstrap -c stage=$(STAGE)
	$(INFRA_ENV) $(CDKLOCAL) deploy -c stage=$(STAGE) --require-approval never --outputs-file dist/outputs-$(STAGE).json

# scenario-deployed: the ops scenario's deployed mode against the stage
# `make deploy` or `make deploy-local` last deployed (drives and observes).
scenario-deployed:
	MAGPIE_DEPLOYED_OUTPUTS=$(CURDIR)/dist/outputs-$(STAGE).json $(GO) test -count=1 -v -timeout 90m -run TestDeployedScenario ./localstack/scenario

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin $(DATA) dist cdk.out
