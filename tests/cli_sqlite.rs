//! The integration suite on SQLite (the embedded default): the test bodies
//! of `tests/cli/`, each sandbox an SQLite file of its own. Tests that only
//! a shared PostgreSQL server can run are reported as ignored here.

/// A test about SQLite's own files and locks: run here.
macro_rules! sqlite_only {
    ($($item:item)*) => { $($item)* };
}

/// A test that needs a PostgreSQL server: ignored here (it runs in
/// `tests/cli_postgres.rs`).
macro_rules! postgres_only {
    ($($item:item)*) => {
        $(
            #[ignore = "PostgreSQL only: runs in the PostgreSQL half (NFA_TEST_POSTGRES)"]
            $item
        )*
    };
}

#[path = "cli/main.rs"]
mod cli;
