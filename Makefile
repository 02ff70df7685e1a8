# `sam build` (BuildMethod: makefile, build_in_source in samconfig.toml) calls
# `make build-<LogicalId>` once per function with ARTIFACTS_DIR set. Every function runs the
# same binary (its Handler setting names the operation), so every target shares one
# `cargo lambda build` (infra/build.sh; a lock makes parallel targets wait for it) and copies the
# same `bootstrap`: identical packages, which `sam deploy` uploads once.
ARCH ?= arm64

build-%Function:
	QUIET=1 ARCH=$(ARCH) bash infra/build.sh
	cp "target/lambda-$(ARCH)/bootstrap/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"

.PHONY: build
build:
	ARCH=$(ARCH) bash infra/build.sh
