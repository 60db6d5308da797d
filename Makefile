# migsock: the one entry point.  See README.md.
#
#   make bench    main job: deps, kernel, 3-node cluster, benchmark tables
#   make check    tests: deps, host tests, kernel, cluster, scenario tests
#
# Caches (downloaded source, ccache, cargo) live in $(CACHE), outside the repo.

include scripts/versions.mk

CACHE    ?= $(HOME)/.cache/migsock
NODES    ?= 3
EXTRA    ?=
export MIGSOCK_CACHE := $(CACHE)

BUILD    := $(CURDIR)/build
KOUT     := $(BUILD)/kernel
BZIMAGE  := $(KOUT)/arch/x86/boot/bzImage
INITRAMFS := $(BUILD)/initramfs.cpio.gz
USERBIN  := $(BUILD)/bin
CARGO    ?= $(shell command -v cargo || echo $(HOME)/.cargo/bin/cargo)

.PHONY: all deps tree kernel userspace initramfs up down check host-test \
	cluster-test bench export fuzz lint clean distclean help

all: kernel initramfs

help:
	@sed -n '1,10p' Makefile

deps:
	@bash scripts/deps.sh

tree: deps
	@bash scripts/tree.sh

kernel: tree
	@bash scripts/kernel.sh

# Static user-space programs for the nodes: libraries, tools, tests.
# Built against the patched kernel's UAPI headers (installed by 'kernel').
userspace: kernel
	@$(MAKE) -s -C tools OUT=$(USERBIN) KHDR=$(KOUT)/usr/include
	@$(MAKE) -s -C tests OUT=$(USERBIN) KHDR=$(KOUT)/usr/include
	@$(MAKE) -s -C benchmarks OUT=$(USERBIN) KHDR=$(KOUT)/usr/include

initramfs: userspace
	@bash qemu/mkinitramfs $(INITRAMFS) $(USERBIN) $(EXTRA)

up: kernel initramfs
	@qemu/cluster up $(NODES)

down:
	@qemu/cluster down

host-test:
	@echo "== host tests (cargo test, rust-migsock portable core)"
	@if [ -f rust-migsock/Cargo.toml ]; then \
		$(CARGO) test --manifest-path rust-migsock/Cargo.toml 2>&1; \
	else echo "no host crate yet"; fi

cluster-test: kernel initramfs
	@bash tests/run-cluster-tests $(NODES)

check: deps
	@bash tests/check

bench: deps
	@bash benchmarks/run

# A stand-alone series with the Rust sources folded in, for people who
# want plain patches.  Written to $(BUILD)/export, never committed.
export: tree
	@bash scripts/export.sh $(BUILD)/export

fuzz:
	@bash rust-migsock/fuzz/run.sh

# checkpatch --strict, rustfmt and clippy (needs a built kernel tree).
lint: kernel
	@bash scripts/lint.sh

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf linux
