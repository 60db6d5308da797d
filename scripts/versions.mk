# One place for every pinned version the build depends on.
KVER          := 7.3
LINUX_SRC_PKG := linux-source-$(KVER)
LINUX_SUITE   := trixie-backports
BINDGEN_VER   := 0.73.2
LLVM_SUFFIX   := -22
