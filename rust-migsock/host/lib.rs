// SPDX-License-Identifier: GPL-2.0

//! Host build of the migsock MTCP protocol core.
//!
//! The files under `../mtcp/` are compiled both into the kernel (as
//! `hpc/migsock/mtcp`) and into this crate, so that `cargo test` can check the
//! protocol logic on the build machine in milliseconds. This wrapper adds
//! nothing but the crate root: like the kernel, it is `no_std`; only the
//! tests link `std`.

#![no_std]

#[cfg(test)]
extern crate std;

#[path = "../mtcp/mod.rs"]
pub mod mtcp;
