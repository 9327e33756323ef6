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

.PHONY: run build test test-go deps deps-apt deps-emulators deps-sfn vet fmt bench clean help

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
	else \
		echo "$(DATA) already holds an SDC; 'make clean' starts over"; \
	fi
	$(BIN) serve --data $(DATA) --addr $(ADDR)

# ---- tests -------------------------------------------------------------------
# deps installs what the tests need on a fresh machine; every step is
# idempotent and quiet when there is nothing to do.
deps: deps-apt deps-emulators deps-sfn

deps-apt:
	@if [ ! -f /usr/share/java/jcdf.jar ]; then \
		echo "installing libjcdf-java (independent CDF reader)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjcdf-java >/dev/null) \
		  || { echo "make: could not install libjcdf-java with apt-get" >&2; exit 1; }; \
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
	MAGPIE_REQUIRE_JCDF=1 MAGPIE_REQUIRE_EMULATORS=1 \
	  $(GO) test -count=1 -timeout 15m ./... || status=$$?; \
	scripts/emulators/stop.sh >/dev/null 2>&1 || true; \
	exit $$status

# test-go runs the Go tests without installing anything (tests that need a
# missing tool skip).
test-go:
	$(GO) test ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin $(DATA)
