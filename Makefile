# orgctl — build, demo and test. `make demo` and `make test` are the two
# commands of the README; .ci/run calls `make test`.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN     := bin/orgctl

.PHONY: all build deps debs demo docs test unit lint fmt vet staticcheck bench fuzz clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/orgctl

SCIMMY  := internal/peertest/testdata/scimmy

## deps: install what the integration tests need: the Debian packages (BIND, Unbound, nginx, Node)
## and the npm packages of the SCIM peer service, the latter only when missing or older than the lock.
deps: debs $(SCIMMY)/node_modules/.package-lock.json

debs:
	scripts/deps.sh

# npm ci writes node_modules/.package-lock.json; touch marks the install as newer than the lock.
$(SCIMMY)/node_modules/.package-lock.json: $(SCIMMY)/package.json $(SCIMMY)/package-lock.json | debs
	npm ci --prefix $(SCIMMY) --no-audit --no-fund
	@touch $@

## demo: an offline walk-through against the sandbox servers on 127.0.0.1.
demo: build
	scripts/demo.sh $(BIN)

## docs: regenerate the man pages (docs/man) and the command reference (docs/cli) from the command tree.
## A test (TestGeneratedDocs) fails when they are stale.
docs:
	UPDATE_DOCS=1 $(GO) test -count=1 -run '^TestGeneratedDocs$$' ./cmd/orgctl

## test: everything — lint, unit, end-to-end and integration tests against BIND and Unbound.
test: deps lint
	$(GO) test -race -count=1 ./...

## unit: the tests without installing anything (integration tests skip when servers are missing).
unit:
	$(GO) test -count=1 ./...

lint: fmt vet staticcheck

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

## bench: benchmarks of the library (go test -bench) and of whole processes against BIND and a
## validating Unbound started on 127.0.0.1 (scripts/bench.sh): orgctl against dig, xargs dig and a
## minimal cobra + viper binary, with peak RSS. Offline; docs/performance.md has the results.
## Then bench-sync: the sync's targets (issue 13).
bench: build
	$(GO) build -o bin/cobraviper ./scripts/cobraviper
	$(GO) build -o bin/barelookup ./scripts/barelookup
	$(GO) test -run '^$$' -bench . -benchmem $$($(GO) list ./... | grep -v '/provision$$')
	$(GO) test -run '^$$' -bench 'ReadBuild|BuildEach' -benchmem ./provision/
	scripts/bench.sh $(BIN)
	$(MAKE) bench-sync   # the sync benchmarks of ./provision/ run here, once

## bench-sync: the performance targets of `orgctl scim sync` (issue 13) in one run, offline, each printed
## with its target: initial-sync throughput against a plain loop, re-sync of 100,000 users (library and
## CLI), peak RSS over a 1,000,000-user sync, requests per user. A few minutes; see docs/performance-sync.md.
.PHONY: bench-sync
bench-sync:
	GO=$(GO) scripts/bench-sync.sh

## fuzz: run each fuzz target briefly.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 20s ./codegen/
	$(GO) test -run '^$$' -fuzz FuzzNormalize -fuzztime 20s ./internal/domain/
	$(GO) test -run '^$$' -fuzz FuzzReadList -fuzztime 20s ./internal/domain/
	$(GO) test -run '^$$' -fuzz FuzzTXT -fuzztime 20s ./verify/
	$(GO) test -run '^$$' -fuzz FuzzErrorBody -fuzztime 20s ./scim/
	$(GO) test -run '^$$' -fuzz FuzzListResponse -fuzztime 20s ./scim/

clean:
	rm -rf bin
