// SPDX-License-Identifier: GPL-2.0

//! Mechanical check that the MTCP core cannot panic: `nopanic/inst.rs`
//! instantiates every entry point and is compiled, optimized, with overflow
//! checks on (as in the kernel) and `panic=abort`, to LLVM IR; the IR must
//! not declare any function of the panic machinery.

use std::process::Command;

#[test]
fn core_has_no_panic_paths() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let dir = std::env::temp_dir().join(format!("migsock-nopanic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/nopanic/inst.rs");
    let ll = dir.join("inst.ll");
    let out = Command::new(&rustc)
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "staticlib",
            "--crate-name",
            "inst",
        ])
        .args([
            "-O",
            "-Coverflow-checks=on",
            "-Cpanic=abort",
            "-Cdebug-assertions=off",
        ])
        .args(["--emit=llvm-ir", "-o"])
        .arg(&ll)
        .arg(src)
        .output()
        .expect("run rustc");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ir = std::fs::read_to_string(&ll).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let bad: Vec<&str> = ir
        .lines()
        .filter(|l| l.starts_with("declare"))
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            ["panic", "fail", "unwrap", "expect", "overflow", "bounds"]
                .iter()
                .any(|w| l.contains(w))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "panic paths left in the core:\n{}",
        bad.join("\n")
    );
    // Make sure the check looked at something.
    assert!(ir.contains("define") && ir.contains("i_route"));
}
