//! The integration suite on PostgreSQL (team mode): the same test bodies as
//! `tests/cli`, each sandbox a database of its own on the server that
//! `NFA_TEST_POSTGRES` names (`.ci/run` sets it to the local server). Without
//! it this half is skipped, and says so once.

/// A test about SQLite's own files and locks: ignored here (it runs in
/// `tests/cli_sqlite.rs`).
#[cfg(nfa_pg_tests)]
macro_rules! sqlite_only {
    ($($item:item)*) => {
        $(
            #[ignore = "SQLite only: about SQLite's own files and locks"]
            $item
        )*
    };
}

/// A test that needs a PostgreSQL server: run here.
#[cfg(nfa_pg_tests)]
macro_rules! postgres_only {
    ($($item:item)*) => { $($item)* };
}

#[cfg(nfa_pg_tests)]
#[path = "cli/main.rs"]
mod cli;

#[cfg(not(nfa_pg_tests))]
#[test]
fn postgresql_half_skipped_set_nfa_test_postgres_to_run_it() {
    use std::io::Write;
    // Written past the test harness's capture, so that it is seen.
    let _ = writeln!(
        std::io::stderr(),
        "note: the PostgreSQL half of the integration tests was skipped: NFA_TEST_POSTGRES is not set \
         (e.g. NFA_TEST_POSTGRES=postgres://root@127.0.0.1:5432/postgres cargo test; .ci/run sets it)"
    );
}
