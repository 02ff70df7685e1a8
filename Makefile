# `sam build` (BuildMethod: makefile, build_in_source in samconfig.toml) calls
# `make build-<LogicalId>` once per function with ARTIFACTS_DIR set. Every target shares one
# `cargo lambda build` of all functions (infra/build.sh; a lock makes parallel targets wait for
# it), then copies its own binary: CreateTokenFunction gets target/lambda-<arch>/create_token.
ARCH ?= arm64

build-%Function:
	QUIET=1 ARCH=$(ARCH) bash infra/build.sh
	cp "target/lambda-$(ARCH)/$$(echo '$*' | sed -E 's/([a-z0-9])([A-Z])/\1_\2/g' | tr '[:upper:]' '[:lower:]')/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"

.PHONY: build
build:
	ARCH=$(ARCH) bash infra/build.sh
