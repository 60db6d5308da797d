# migsock: the one entry point.  See README.md.
#
#   make bench    main job: deps, kernel, 3-node cluster, benchmark tables
#   make check    tests: deps, host tests, debug kernel, cluster, scenario
#                 tests (short fuzz and torture runs), the kernel's checkers
#   make fuzz     the fuzzers long;  make torture  the torture suite long
#
# Caches (downloaded source, ccache, cargo) live in $(CACHE), outside the repo.

include scripts/versions.mk

CACHE    ?= $(HOME)/.cache/migsock
NODES    ?= 3
EXTRA    ?=
# Host programs copied into the nodes with their libraries (qemu/mkinitramfs).
HOSTPROGS ?= trinity
export HOSTPROGS
export MIGSOCK_CACHE := $(CACHE)

BUILD    := $(CURDIR)/build
# Two kernels, two build folders: the lean one (make bench, make up) and the
# debug one (make check: lockdep, kmemleak, KFENCE, UBSAN, ...).
KVARIANT ?= lean
ifeq ($(KVARIANT),debug)
KOUT     := $(BUILD)/kernel-debug
KFRAGS   := $(wildcard configs/*.config) $(wildcard configs/checkers/*.config)
else ifeq ($(KVARIANT),lean)
KOUT     := $(BUILD)/kernel
KFRAGS   := $(wildcard configs/*.config)
else
$(error KVARIANT must be lean or debug)
endif
export KERNEL := $(KOUT)/arch/x86/boot/bzImage
INITRAMFS := $(BUILD)/initramfs.cpio.gz
USERBIN  := $(BUILD)/bin
CARGO    ?= $(shell command -v cargo || echo $(HOME)/.cargo/bin/cargo)

.PHONY: all deps tree kernel kernel-debug userspace initramfs up down check host-test \
	cluster-test bench export fuzz torture lint series-check clean distclean help

all: kernel initramfs

help:
	@sed -n '1,10p' Makefile

deps:
	@bash scripts/deps.sh

tree: deps
	@bash scripts/tree.sh

kernel: tree
	@KBUILD_OUT=$(KOUT) CONFIG_FRAGMENTS="$(KFRAGS)" bash scripts/kernel.sh

kernel-debug:
	@$(MAKE) -s kernel KVARIANT=debug

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
		$(CARGO) test --manifest-path rust-migsock/Cargo.toml 2>&1 && \
		echo "== fuzz targets build (cargo check; make fuzz runs them)" && \
		$(CARGO) check -q --manifest-path rust-migsock/fuzz/Cargo.toml --bins 2>&1; \
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

# The fuzzers long: the MTCP core's cargo-fuzz targets, then sys_migsock,
# trinity and the network fuzzers in a cluster (tests/fuzz-cluster).
fuzz:
	@bash tests/fuzz-cluster

# The torture suite long, on 3 and then 8 nodes (tests/torture/run).
torture:
	@bash tests/torture/run

# Does the tree build after every patch?  Compiles the series' C files at
# each patch with the debug kernel's flags (scripts/series-check.sh).
series-check: kernel-debug
	@bash scripts/series-check.sh $(BUILD)/kernel-debug

# checkpatch --strict, rustfmt and clippy (needs a built kernel tree).
lint: kernel
	@bash scripts/lint.sh

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf linux
