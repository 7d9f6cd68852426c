//! `nfa demo`.

use super::*;

#[test]
fn the_demo_runs_the_main_job_on_its_own_database() {
    let s = Sandbox::new();
    let dir = s.path("demo");
    let out = s
        .cmd()
        .env_remove("NFA_NOW")
        .args(["demo", "--dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{}\n{}", text, stderr(&out));
    assert!(!s.db.exists(), "the demo never touches NFA_DB");
    let db = dir.join("nfa.db");
    assert!(db.exists());
    for needle in [
        "↻",
        "Update AD Cache and check Nerdio users tasks were successfully added and will be executed soon",
        "--show-automated",
        "deduplicated",
        "token expired",
        "ERROR",
        "retry",
        &format!("NFA_DB={}", db.display()),
    ] {
        assert!(
            text.contains(needle),
            "demo output lacks {needle:?}:\n{text}"
        );
    }
    // The demo database is an ordinary one to keep exploring.
    let mut s2 = Sandbox::new();
    s2.db = db;
    let accounts = s2
        .cmd()
        .env_remove("NFA_NOW")
        .args(["-o", "json", "accounts", "list"])
        .output()
        .unwrap();
    let accounts: Value = serde_json::from_slice(&accounts.stdout).unwrap();
    assert_eq!(accounts.count(), 6);
    // A second demo in the same place is refused rather than mixed in.
    let again = s
        .cmd()
        .args(["demo", "--dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
}
