//! The schema, as numbered migrations. `PRAGMA user_version` holds the
//! number of migrations applied; a database made by an older build is
//! upgraded in place, one made by a newer build is refused.

/// Migration `i` (0-based) brings the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: accounts, settings, the AD cache and check results.
    r#"
    CREATE TABLE accounts (
        id                  INTEGER PRIMARY KEY,
        name                TEXT NOT NULL,
        name_key            TEXT NOT NULL UNIQUE,   -- domain::account::name_key(name)
        tenant_id           TEXT,
        source              TEXT NOT NULL,
        lifecycle           TEXT NOT NULL DEFAULT 'ready'
            CHECK (lifecycle IN ('ready','provisioning','upgrading','deleting','deleted')),
        created_at          TEXT NOT NULL,
        last_activity_at    TEXT,
        ad_cache_updated_at TEXT,
        ad_users            INTEGER NOT NULL DEFAULT 0,
        ad_groups           INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE ad_users (
        account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        id           TEXT NOT NULL,
        display_name TEXT,
        upn          TEXT,
        enabled      INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (account_id, id)
    ) WITHOUT ROWID;
    CREATE TABLE ad_groups (
        account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        id           TEXT NOT NULL,
        display_name TEXT,
        PRIMARY KEY (account_id, id)
    ) WITHOUT ROWID;
    CREATE TABLE checks (
        id              INTEGER PRIMARY KEY,
        account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        task_id         INTEGER,
        checked_at      TEXT NOT NULL,
        azure_ok        INTEGER NOT NULL,
        azure_error     TEXT,
        office365_ok    INTEGER NOT NULL,
        office365_error TEXT
    );
    CREATE INDEX checks_by_account ON checks(account_id, id);
    "#,
    // 2: management tasks and the system log.
    r#"
    CREATE TABLE tasks (
        id          INTEGER PRIMARY KEY,
        parent_id   INTEGER REFERENCES tasks(id) ON DELETE CASCADE,
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind        TEXT NOT NULL,
        automated   INTEGER NOT NULL,
        origin      TEXT NOT NULL CHECK (origin IN ('refresh','audit')),
        decision    TEXT CHECK (decision IN ('new','retry','deduplicated')),
        status      TEXT NOT NULL CHECK (status IN ('PENDING','IN_PROGRESS','COMPLETE','ERROR')),
        description TEXT,
        error       TEXT,
        created_at  TEXT NOT NULL,
        started_at  TEXT,
        finished_at TEXT,
        owner_host  TEXT,    -- the process that took the task on to run
        owner_pid   INTEGER,
        owner_token TEXT,
        owner_seen_at INTEGER -- wall-clock seconds of the owner's last heartbeat
    );
    -- tasks --account, newest first
    CREATE INDEX tasks_by_account ON tasks(account_id, id);
    -- children of an activity; `tasks show`, `logs --task`
    CREATE INDEX tasks_by_parent ON tasks(parent_id) WHERE parent_id IS NOT NULL;
    -- tasks --status, tasks run (PENDING)
    CREATE INDEX tasks_by_status ON tasks(status, id);
    -- tasks --since: a few recent tasks among millions
    CREATE INDEX tasks_by_created ON tasks(created_at);
    -- the default list: user tasks only, newest first
    CREATE INDEX tasks_user ON tasks(id) WHERE automated = 0;
    -- the earlier refresh of an account
    CREATE INDEX tasks_refreshes ON tasks(account_id, id)
        WHERE kind = 'UpdatingAccountStatus' AND decision IN ('new','retry');
    -- unfinished tasks of an account, checked for abandoned runs
    CREATE INDEX tasks_unfinished ON tasks(account_id)
        WHERE status IN ('PENDING','IN_PROGRESS');

    CREATE TABLE logs (
        id         INTEGER PRIMARY KEY,
        time       TEXT NOT NULL,
        level      TEXT NOT NULL CHECK (level IN ('ERROR','WARN','INFO')),
        task_id    INTEGER,
        account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
        message    TEXT NOT NULL
    );
    CREATE INDEX logs_by_task ON logs(task_id) WHERE task_id IS NOT NULL;
    CREATE INDEX logs_by_account ON logs(account_id, id);
    CREATE INDEX logs_by_level ON logs(level, id);
    CREATE INDEX logs_by_time ON logs(time);
    "#,
    // 3: live tenant connections: app credentials (the client secret itself
    // is never stored: only the name of the variable or the path of the file
    // that holds it) and the directory cursor (Graph delta links).
    r#"
    ALTER TABLE accounts ADD COLUMN client_id TEXT;
    ALTER TABLE accounts ADD COLUMN client_secret_env TEXT;
    ALTER TABLE accounts ADD COLUMN client_secret_file TEXT;
    ALTER TABLE accounts ADD COLUMN subscription_id TEXT;
    ALTER TABLE accounts ADD COLUMN directory_cursor TEXT;
    "#,
    // 4: account names compared in Unicode NFC. The keys are recomputed in
    // Rust after this step (see `Db::renormalize_name_keys`).
    "SELECT 1;",
];

/// The version whose migration recomputes the account name keys.
pub const NAME_KEYS_NFC: usize = 4;

/// `PRAGMA application_id` of an nfa database ("nfa" and 1), so that the
/// file tells what it is (`file(1)` reads it too).
pub const APPLICATION_ID: i64 = 0x6e66_6101;

/// The schema version this build writes.
pub const LATEST: usize = MIGRATIONS.len();
