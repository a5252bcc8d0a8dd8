//! Records the git commit agentcli is built from, for `--version`.

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        // Built outside a checkout (from a published crate): no commit.
        .unwrap_or_else(|| "unknown commit".to_string());
    println!("cargo:rustc-env=AGENTCLI_GIT_COMMIT={commit}");
    // A new commit changes HEAD or the branch it points to.
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
}
