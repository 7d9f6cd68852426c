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
    // 5: compact storage. Times as Unix milliseconds, the closed
    // vocabularies as small integers (their position in the enum: see
    // `store::code`), the usual descriptions and log sentences worded when
    // read rather than stored (`domain::log::LogEvent`), a run's owner
    // cleared once its task ends, and partial indexes where a list needs
    // only the rare rows. Tables are rebuilt (foreign keys are off meanwhile
    // and checked before the commit: see `Store::migrate_to`).
    r#"
    CREATE TABLE tasks_new (
        id             INTEGER PRIMARY KEY,
        parent_id      INTEGER REFERENCES tasks_new(id) ON DELETE CASCADE,
        account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind           INTEGER NOT NULL,  -- 0 UpdatingAccountStatus, 1 UpdateAdCache, 2 AzureAdminAndO365Status
        automated      INTEGER NOT NULL,
        origin         INTEGER NOT NULL,  -- 0 refresh, 1 audit
        decision       INTEGER,           -- 0 new, 1 retry, 2 deduplicated
        status         INTEGER NOT NULL,  -- 0 PENDING, 1 IN_PROGRESS, 2 COMPLETE, 3 ERROR
        earlier_id     INTEGER,           -- an activity's earlier refresh, as the policy saw it
        earlier_status INTEGER,
        description    TEXT,              -- NULL: the usual one (domain::task::usual_description)
        error          TEXT,
        created_at     INTEGER NOT NULL,  -- Unix milliseconds
        started_at     INTEGER,
        finished_at    INTEGER,
        owner_host     TEXT,              -- the process that took it on; cleared when it ends
        owner_pid      INTEGER,
        owner_token    TEXT,
        owner_seen_at  INTEGER            -- wall-clock seconds of the owner's last heartbeat
    );
    INSERT INTO tasks_new
    SELECT id, parent_id, account_id,
           CASE kind WHEN 'UpdatingAccountStatus' THEN 0 WHEN 'UpdateAdCache' THEN 1 ELSE 2 END,
           automated,
           CASE origin WHEN 'refresh' THEN 0 ELSE 1 END,
           CASE decision WHEN 'new' THEN 0 WHEN 'retry' THEN 1 WHEN 'deduplicated' THEN 2 END,
           CASE status WHEN 'PENDING' THEN 0 WHEN 'IN_PROGRESS' THEN 1 WHEN 'COMPLETE' THEN 2 ELSE 3 END,
           NULL, NULL,
           CASE
             WHEN origin = 'audit' AND description = 'Audit service' THEN NULL
             WHEN origin = 'refresh' AND kind = 'UpdateAdCache'
                  AND description = 'Read the tenant''s users and groups into the AD cache' THEN NULL
             WHEN origin = 'refresh' AND kind = 'AzureAdminAndO365Status'
                  AND description = 'Check the Azure admin and Microsoft 365 connections' THEN NULL
             WHEN kind = 'UpdatingAccountStatus' AND decision = 'new'
                  AND description = 'Update AD cache, check Azure and O365 status' THEN NULL
             ELSE description
           END,
           error,
           CAST(round(unixepoch(created_at, 'subsec') * 1000) AS INTEGER), CAST(round(unixepoch(started_at, 'subsec') * 1000) AS INTEGER), CAST(round(unixepoch(finished_at, 'subsec') * 1000) AS INTEGER),
           CASE WHEN status IN ('PENDING', 'IN_PROGRESS') THEN owner_host END,
           CASE WHEN status IN ('PENDING', 'IN_PROGRESS') THEN owner_pid END,
           CASE WHEN status IN ('PENDING', 'IN_PROGRESS') THEN owner_token END,
           CASE WHEN status IN ('PENDING', 'IN_PROGRESS') THEN owner_seen_at END
    FROM tasks;
    DROP TABLE tasks;
    ALTER TABLE tasks_new RENAME TO tasks;
    -- tasks --account, newest first
    CREATE INDEX tasks_by_account ON tasks(account_id, id);
    -- children of an activity; `tasks show`, `logs --task`
    CREATE INDEX tasks_by_parent ON tasks(parent_id) WHERE parent_id IS NOT NULL;
    -- tasks --status, tasks run: the rare statuses (COMPLETE is most rows,
    -- read newest first by id)
    CREATE INDEX tasks_by_status ON tasks(status, id) WHERE status <> 2;
    -- tasks --since and pruning: a few recent tasks, or the oldest
    CREATE INDEX tasks_by_created ON tasks(created_at);
    -- the default list: user tasks only, newest first
    CREATE INDEX tasks_user ON tasks(id) WHERE automated = 0;
    -- the earlier refresh of an account
    CREATE INDEX tasks_refreshes ON tasks(account_id, id) WHERE kind = 0 AND decision IN (0, 1);
    -- unfinished tasks of an account, checked for abandoned runs
    CREATE INDEX tasks_unfinished ON tasks(account_id) WHERE status IN (0, 1);

    CREATE TABLE logs_new (
        id         INTEGER PRIMARY KEY,
        time       INTEGER NOT NULL,  -- Unix milliseconds
        level      INTEGER NOT NULL,  -- 0 ERROR, 1 WARN, 2 INFO
        event      INTEGER NOT NULL,  -- domain::log::LogEvent::code (0: the detail is the message)
        task_id    INTEGER,
        account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
        detail     TEXT               -- the error or note of the event
    );
    INSERT INTO logs_new
    SELECT id, CAST(round(unixepoch(time, 'subsec') * 1000) AS INTEGER), CASE level WHEN 'ERROR' THEN 0 WHEN 'WARN' THEN 1 ELSE 2 END,
           0, task_id, account_id, message
    FROM logs;
    DROP TABLE logs;
    ALTER TABLE logs_new RENAME TO logs;
    CREATE INDEX logs_by_task ON logs(task_id) WHERE task_id IS NOT NULL;
    -- logs --account: its lines of no task (the others come through its tasks)
    CREATE INDEX logs_by_account ON logs(account_id, id) WHERE task_id IS NULL;
    -- logs --level warn|error: the rare lines
    CREATE INDEX logs_by_level ON logs(level, id) WHERE level < 2;
    CREATE INDEX logs_by_time ON logs(time);

    CREATE TABLE checks_new (
        id              INTEGER PRIMARY KEY,
        account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        task_id         INTEGER,
        checked_at      INTEGER NOT NULL,  -- Unix milliseconds
        azure_ok        INTEGER NOT NULL,
        azure_error     TEXT,
        office365_ok    INTEGER NOT NULL,
        office365_error TEXT
    );
    INSERT INTO checks_new
    SELECT id, account_id, task_id, CAST(round(unixepoch(checked_at, 'subsec') * 1000) AS INTEGER), azure_ok, azure_error, office365_ok, office365_error
    FROM checks;
    DROP TABLE checks;
    ALTER TABLE checks_new RENAME TO checks;
    CREATE INDEX checks_by_account ON checks(account_id, id);
    "#,
    // 6: no index on times that the ids already order; one for a kind's
    // failed (or unfinished) tasks. A row is `late` when its time is
    // earlier than a row written before it (a clock set back, NFA_NOW) or
    // more than a day ahead of the real clock (a clock set forward, which
    // must not make every later row late); the others have times in id
    // order, so "since T" is an id range found by a binary search over the
    // ids (store/clock.rs), plus the late rows, which have a small index of
    // their own. The `clock` row of a table holds the latest time of its
    // rows that are not late.
    r#"
    ALTER TABLE tasks ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE logs ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE clock (name TEXT PRIMARY KEY, latest INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO clock VALUES ('tasks', 0), ('logs', 0);
    CREATE TRIGGER tasks_clock AFTER INSERT ON tasks BEGIN
        UPDATE tasks SET late = 1
        WHERE id = NEW.id
          AND (NEW.created_at < (SELECT latest FROM clock WHERE name = 'tasks')
               OR NEW.created_at > (unixepoch() + 86400) * 1000);
        UPDATE clock SET latest = NEW.created_at
        WHERE name = 'tasks' AND latest < NEW.created_at
          AND NEW.created_at <= (unixepoch() + 86400) * 1000;
    END;
    CREATE TRIGGER logs_clock AFTER INSERT ON logs BEGIN
        UPDATE logs SET late = 1
        WHERE id = NEW.id
          AND (NEW.time < (SELECT latest FROM clock WHERE name = 'logs')
               OR NEW.time > (unixepoch() + 86400) * 1000);
        UPDATE clock SET latest = NEW.time
        WHERE name = 'logs' AND latest < NEW.time
          AND NEW.time <= (unixepoch() + 86400) * 1000;
    END;
    -- The rows written so far, by the same rule.
    UPDATE tasks SET late = 1 WHERE id IN (
        SELECT id FROM (
            SELECT id, created_at > (unixepoch() + 86400) * 1000
                       OR created_at < max(CASE WHEN created_at <= (unixepoch() + 86400) * 1000
                                                THEN created_at END)
                                       OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING
                                                               AND 1 PRECEDING) AS l
            FROM tasks)
        WHERE l);
    UPDATE logs SET late = 1 WHERE id IN (
        SELECT id FROM (
            SELECT id, time > (unixepoch() + 86400) * 1000
                       OR time < max(CASE WHEN time <= (unixepoch() + 86400) * 1000
                                          THEN time END)
                                 OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING
                                                         AND 1 PRECEDING) AS l
            FROM logs)
        WHERE l);
    UPDATE clock SET latest = coalesce(
        (SELECT max(created_at) FROM tasks WHERE NOT late), 0) WHERE name = 'tasks';
    UPDATE clock SET latest = coalesce(
        (SELECT max(time) FROM logs WHERE NOT late), 0) WHERE name = 'logs';
    DROP INDEX tasks_by_created;
    DROP INDEX logs_by_time;
    CREATE INDEX tasks_late ON tasks(created_at) WHERE late;
    CREATE INDEX logs_late ON logs(time) WHERE late;
    -- tasks --status S --kind K: the unfinished and failed tasks of a kind
    -- (small: finished tasks that completed are left out)
    CREATE INDEX tasks_by_kind_status ON tasks(kind, status, id) WHERE status <> 2;
    "#,
    // 7: who did it. Tasks and log lines record the engineer they were done
    // for (here the operating-system login; on PostgreSQL the server's
    // session user); rows written before are NULL.
    r#"
    ALTER TABLE tasks ADD COLUMN username TEXT;
    ALTER TABLE logs ADD COLUMN username TEXT;
    CREATE INDEX tasks_by_user ON tasks(username, id) WHERE username IS NOT NULL;
    CREATE INDEX logs_by_user ON logs(username, id) WHERE username IS NOT NULL;
    "#,
    // 8: partner mode. Certificate credentials of an account's own app
    // (paths only), the partner app (one row: ids, paths, variable names,
    // never a secret), and what a check read of the GDAP relationships.
    r#"
    ALTER TABLE accounts ADD COLUMN certificate_file TEXT;
    ALTER TABLE accounts ADD COLUMN certificate_key_file TEXT;
    ALTER TABLE checks ADD COLUMN gdap_status TEXT;
    ALTER TABLE checks ADD COLUMN gdap_ends_at INTEGER;
    ALTER TABLE checks ADD COLUMN gdap_auto_extend INTEGER;
    CREATE TABLE partner (
        id                   INTEGER PRIMARY KEY CHECK (id = 1),
        tenant_id            TEXT NOT NULL,
        client_id            TEXT NOT NULL,
        client_secret_env    TEXT,
        client_secret_file   TEXT,
        certificate_file     TEXT,
        certificate_key_file TEXT,
        updated_at           INTEGER NOT NULL  -- Unix milliseconds
    );
    "#,
    // 9: the audit service. The workers that run (`nfa worker`), each
    // beating like a run, so that `nfa summary` lists the live ones; the
    // audits of an account by time, for the periodic audit's "due".
    r#"
    CREATE TABLE workers (
        host       TEXT NOT NULL,
        pid        INTEGER NOT NULL,
        token      TEXT NOT NULL,
        username   TEXT,
        jobs       INTEGER NOT NULL,
        started_at INTEGER NOT NULL,  -- Unix milliseconds (the clock's)
        seen_at    INTEGER NOT NULL,  -- Unix seconds (the database's clock)
        PRIMARY KEY (host, pid, token)
    );
    CREATE INDEX tasks_audits ON tasks(account_id, created_at) WHERE origin = 1;
    "#,
    // 10: on PostgreSQL the notification of new log lines leaves the
    // writing transaction (PG_MIGRATIONS); nothing changes on SQLite.
    "",
    // 11: on PostgreSQL those who refresh may take a task's id from the
    // tasks' identity beforehand (PG_MIGRATIONS); nothing changes on
    // SQLite.
    "",
];

/// The version whose migration recomputes the account name keys.
pub const NAME_KEYS_NFC: usize = 4;
/// The version whose migration rebuilds tables (foreign keys off meanwhile).
pub const COMPACT: usize = 5;

/// `PRAGMA application_id` of an nfa database ("nfa" and 1), so that the
/// file tells what it is (`file(1)` reads it too).
pub const APPLICATION_ID: i64 = 0x6e66_6101;

/// The schema version this build writes.
pub const LATEST: usize = MIGRATIONS.len();

/// The schema on PostgreSQL, as numbered migrations of the same numbers:
/// `(version, sql)`, where `sql` brings a database from the version before
/// it to `version`. Team mode began at schema 6, so its first migration
/// makes schema 6 whole; every later version gets a migration in both
/// lists. The tables, columns and codes are SQLite's (integers are
/// `bigint`), so that the store's statements are the same on both, with
/// two differences: every row counts as `late` (PostgreSQL keeps a real
/// index on times, and its concurrent writers do not commit in time order,
/// so `store::clock`'s id bound is not used there), text compares and
/// sorts bytewise as on SQLite (`COLLATE "C"`), and a committed write of a
/// log line notifies `nfa_logs` (LISTEN/NOTIFY wakes `nfa logs --follow`;
/// from schema 10 nfa sends it after the COMMIT, `store::logs::NOTIFY_LOGS`,
/// before it a trigger did, inside the transaction).
pub const PG_MIGRATIONS: &[(usize, &str)] = &[
    (
        6,
        r#"
    CREATE TABLE nfa_schema (
        version        bigint NOT NULL,
        application_id bigint NOT NULL
    );
    INSERT INTO nfa_schema VALUES (0, 1852203265);
    CREATE TABLE accounts (
        id                  bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        name                text COLLATE "C" NOT NULL,
        name_key            text COLLATE "C" NOT NULL UNIQUE,
        tenant_id           text COLLATE "C",
        source              text COLLATE "C" NOT NULL,
        lifecycle           text COLLATE "C" NOT NULL DEFAULT 'ready'
            CHECK (lifecycle IN ('ready','provisioning','upgrading','deleting','deleted')),
        created_at          text COLLATE "C" NOT NULL,
        last_activity_at    text COLLATE "C",
        ad_cache_updated_at text COLLATE "C",
        ad_users            bigint NOT NULL DEFAULT 0,
        ad_groups           bigint NOT NULL DEFAULT 0,
        client_id           text COLLATE "C",
        client_secret_env   text COLLATE "C",
        client_secret_file  text COLLATE "C",
        subscription_id     text COLLATE "C",
        directory_cursor    text COLLATE "C"
    );
    CREATE TABLE settings (
        key   text COLLATE "C" PRIMARY KEY,
        value text COLLATE "C" NOT NULL
    );
    CREATE TABLE ad_users (
        account_id   bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        id           text COLLATE "C" NOT NULL,
        display_name text COLLATE "C",
        upn          text COLLATE "C",
        enabled      bigint NOT NULL DEFAULT 1,
        PRIMARY KEY (account_id, id)
    );
    CREATE TABLE ad_groups (
        account_id   bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        id           text COLLATE "C" NOT NULL,
        display_name text COLLATE "C",
        PRIMARY KEY (account_id, id)
    );
    CREATE TABLE tasks (
        id             bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        parent_id      bigint REFERENCES tasks(id) ON DELETE CASCADE,
        account_id     bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind           bigint NOT NULL,
        automated      bigint NOT NULL,
        origin         bigint NOT NULL,
        decision       bigint,
        status         bigint NOT NULL,
        earlier_id     bigint,
        earlier_status bigint,
        description    text COLLATE "C",
        error          text COLLATE "C",
        created_at     bigint NOT NULL,
        started_at     bigint,
        finished_at    bigint,
        owner_host     text COLLATE "C",
        owner_pid      bigint,
        owner_token    text COLLATE "C",
        owner_seen_at  bigint,
        late           boolean NOT NULL DEFAULT true
    );
    CREATE INDEX tasks_by_account ON tasks(account_id, id);
    CREATE INDEX tasks_by_parent ON tasks(parent_id) WHERE parent_id IS NOT NULL;
    CREATE INDEX tasks_by_status ON tasks(status, id) WHERE status <> 2;
    CREATE INDEX tasks_user ON tasks(id) WHERE automated = 0;
    CREATE INDEX tasks_refreshes ON tasks(account_id, id) WHERE kind = 0 AND decision IN (0, 1);
    CREATE INDEX tasks_unfinished ON tasks(account_id) WHERE status IN (0, 1);
    CREATE INDEX tasks_by_kind_status ON tasks(kind, status, id) WHERE status <> 2;
    CREATE INDEX tasks_late ON tasks(created_at);
    CREATE TABLE logs (
        id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        time       bigint NOT NULL,
        level      bigint NOT NULL,
        event      bigint NOT NULL,
        task_id    bigint,
        account_id bigint REFERENCES accounts(id) ON DELETE CASCADE,
        detail     text COLLATE "C",
        late       boolean NOT NULL DEFAULT true
    );
    CREATE INDEX logs_by_task ON logs(task_id) WHERE task_id IS NOT NULL;
    CREATE INDEX logs_by_account ON logs(account_id, id) WHERE task_id IS NULL;
    CREATE INDEX logs_by_level ON logs(level, id) WHERE level < 2;
    CREATE INDEX logs_late ON logs(time);
    CREATE TABLE checks (
        id              bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        account_id      bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        task_id         bigint,
        checked_at      bigint NOT NULL,
        azure_ok        bigint NOT NULL,
        azure_error     text COLLATE "C",
        office365_ok    bigint NOT NULL,
        office365_error text COLLATE "C"
    );
    CREATE INDEX checks_by_account ON checks(account_id, id);
    CREATE FUNCTION nfa_log_written() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('nfa_logs', '');
        RETURN NULL;
    END $$;
    CREATE TRIGGER logs_notify AFTER INSERT ON logs
        FOR EACH STATEMENT EXECUTE FUNCTION nfa_log_written();
    "#,
    ),
    (7, PG_ROLES),
    (
        8,
        r#"
    ALTER TABLE accounts ADD COLUMN certificate_file text COLLATE "C";
    ALTER TABLE accounts ADD COLUMN certificate_key_file text COLLATE "C";
    ALTER TABLE checks ADD COLUMN gdap_status text COLLATE "C";
    ALTER TABLE checks ADD COLUMN gdap_ends_at bigint;
    ALTER TABLE checks ADD COLUMN gdap_auto_extend bigint;
    CREATE TABLE partner (
        id                   bigint PRIMARY KEY CHECK (id = 1),
        tenant_id            text COLLATE "C" NOT NULL,
        client_id            text COLLATE "C" NOT NULL,
        client_secret_env    text COLLATE "C",
        client_secret_file   text COLLATE "C",
        certificate_file     text COLLATE "C",
        certificate_key_file text COLLATE "C",
        updated_at           bigint NOT NULL
    );
    -- The admin owns and sets the partner app; everyone reads it (its
    -- tasks sign in with it).
    DO $$
    BEGIN
        EXECUTE format('ALTER TABLE partner OWNER TO %s', nfa_grp('admin'));
        EXECUTE format('GRANT SELECT ON partner TO %s, %s, %s',
                       nfa_grp('engineer'), nfa_grp('helpdesk'), nfa_grp('viewer'));
    END $$;
    "#,
    ),
    (
        9,
        r#"
    CREATE TABLE workers (
        host       text COLLATE "C" NOT NULL,
        pid        bigint NOT NULL,
        token      text COLLATE "C" NOT NULL,
        username   text COLLATE "C",
        jobs       bigint NOT NULL,
        started_at bigint NOT NULL,
        seen_at    bigint NOT NULL,
        PRIMARY KEY (host, pid, token)
    );
    CREATE INDEX tasks_audits ON tasks(account_id, created_at) WHERE origin = 1;
    -- The server writes who runs a worker, as for tasks.
    CREATE TRIGGER workers_username BEFORE INSERT OR UPDATE OF username ON workers
        FOR EACH ROW EXECUTE FUNCTION nfa_stamp_user();
    -- Everyone sees the workers; whoever may run tasks (helpdesk: its
    -- accounts' tasks, by row-level security) may run one.
    DO $$
    BEGIN
        EXECUTE format('ALTER TABLE workers OWNER TO %s', nfa_grp('admin'));
        EXECUTE format('GRANT SELECT ON workers TO %s, %s, %s',
                       nfa_grp('engineer'), nfa_grp('helpdesk'), nfa_grp('viewer'));
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON workers TO %s, %s',
                       nfa_grp('engineer'), nfa_grp('helpdesk'));
    END $$;
    "#,
    ),
    (
        10,
        // A NOTIFY inside a transaction takes the server's one
        // notification lock at its COMMIT and keeps it until the commit
        // record is on disk: with this trigger every write of every
        // engineer committed one at a time. nfa now notifies after the
        // COMMIT (`store::logs::NOTIFY_LOGS`).
        r#"
    DROP TRIGGER logs_notify ON logs;
    DROP FUNCTION nfa_log_written();
    "#,
    ),
    (
        11,
        // A refresh decision takes its activity's id in its read
        // (`store::decision`, `DecisionInputs::activity_id`), so that the
        // activity's INSERT goes out with the COMMIT: `nextval` of the
        // tasks' identity, which an INSERT alone does not need a right
        // for. USAGE allows nextval and currval, not setval.
        r#"
    DO $$
    BEGIN
        EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %s, %s',
                       pg_get_serial_sequence('tasks', 'id'),
                       nfa_grp('engineer'), nfa_grp('helpdesk'));
    END $$;
    "#,
    ),
];

/// Schema 7 on PostgreSQL: who did it, and who may (`README`, "Engineers
/// and roles"; `ARCHITECTURE.md`, "Where rights are enforced").
///
/// - `username` of tasks and log lines is written by the server: a trigger
///   sets it to `session_user` on every insert and keeps it on every
///   update, whatever the client sent (`db copy` alone, run by the owner,
///   turns the trigger off inside its one transaction to keep the users of
///   the copied rows).
/// - Four group roles of this database (`<database>_nfa_<tag>_<role>`,
///   listed in `nfa_roles`, whose `grp` is the role's oid, so a rename
///   keeps them) carry the rights: `viewer` reads, `helpdesk` reads and
///   refreshes its accounts only (row-level security over `nfa_scope`),
///   `engineer` does all account work on every account, `admin` owns every
///   object (migrations, `db copy`, settings, pruning, removing accounts)
///   and holds the ADMIN OPTION of the other three (`team grant`). The
///   login that ran this migration's owner of the schema becomes admin.
/// - Policies are named (`every_row`, `granted`, `refresh_only`, …) and
///   written for the roles through `nfa_grp(name)`, so a later migration
///   can drop and write one again in a `DO` block.
const PG_ROLES: &str = r#"
    ALTER TABLE tasks ADD COLUMN username text COLLATE "C";
    ALTER TABLE logs ADD COLUMN username text COLLATE "C";
    CREATE INDEX tasks_by_user ON tasks(username, id) WHERE username IS NOT NULL;
    CREATE INDEX logs_by_user ON logs(username, id) WHERE username IS NOT NULL;
    CREATE FUNCTION nfa_stamp_user() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            NEW.username := session_user;
        ELSE
            NEW.username := OLD.username;
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER tasks_username BEFORE INSERT OR UPDATE OF username ON tasks
        FOR EACH ROW EXECUTE FUNCTION nfa_stamp_user();
    CREATE TRIGGER logs_username BEFORE INSERT OR UPDATE OF username ON logs
        FOR EACH ROW EXECUTE FUNCTION nfa_stamp_user();

    CREATE TABLE nfa_roles (
        name text COLLATE "C" PRIMARY KEY,
        rank bigint NOT NULL UNIQUE,   -- a login's role is the first it has
        grp  regrole NOT NULL UNIQUE
    );
    CREATE TABLE nfa_scope (
        login      regrole NOT NULL,
        account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        PRIMARY KEY (login, account_id)
    );
    CREATE FUNCTION nfa_grp(role text) RETURNS regrole LANGUAGE sql STABLE AS
        $$ SELECT grp FROM nfa_roles WHERE name = role $$;
    -- The nfa role of the current user (NULL: none).
    CREATE FUNCTION nfa_role() RETURNS text LANGUAGE sql STABLE AS
        $$ SELECT name FROM nfa_roles WHERE pg_has_role(current_user, grp, 'USAGE')
           ORDER BY rank LIMIT 1 $$;

    DO $$
    DECLARE
        tag   text := left(current_database(), 40) || '_nfa_'
                      || substr(md5(random()::text || clock_timestamp()::text), 1, 6);
        owner regrole := (SELECT c.relowner::regrole FROM pg_class c
                          WHERE c.oid = 'nfa_schema'::regclass);
        r     record;
        name  text;
        scope text := 'IN (SELECT s.account_id FROM nfa_scope s WHERE s.login::oid = '
                      '(SELECT u.oid FROM pg_roles u WHERE u.rolname = current_user))';
        obj   text;
    BEGIN
        FOR r IN SELECT * FROM (VALUES ('admin', 0), ('engineer', 1), ('helpdesk', 2), ('viewer', 3))
                 AS v(role, rank) LOOP
            name := tag || '_' || r.role;
            EXECUTE format('CREATE ROLE %I NOLOGIN', name);
            EXECUTE format('COMMENT ON ROLE %I IS %L', name,
                           format('nfa %s of database %I', r.role, current_database()));
            INSERT INTO nfa_roles
                VALUES (r.role, r.rank, (SELECT oid FROM pg_roles WHERE rolname = name)::regrole);
        END LOOP;

        -- Admin: the owner of everything, and of the other roles' membership.
        EXECUTE format('GRANT %s TO %s WITH ADMIN OPTION', nfa_grp('admin'), owner);
        EXECUTE format('GRANT %s, %s, %s TO %s WITH ADMIN OPTION',
                       nfa_grp('engineer'), nfa_grp('helpdesk'), nfa_grp('viewer'), nfa_grp('admin'));
        EXECUTE format('GRANT CREATE, USAGE ON SCHEMA %I TO %s', current_schema(), nfa_grp('admin'));
        FOR obj IN SELECT unnest(ARRAY['nfa_schema', 'nfa_roles', 'nfa_scope', 'accounts', 'settings',
                                       'ad_users', 'ad_groups', 'tasks', 'logs', 'checks']) LOOP
            EXECUTE format('ALTER TABLE %I OWNER TO %s', obj, nfa_grp('admin'));
        END LOOP;
        FOR obj IN SELECT unnest(ARRAY['nfa_log_written()', 'nfa_stamp_user()', 'nfa_grp(text)',
                                       'nfa_role()']) LOOP
            EXECUTE format('ALTER FUNCTION %s OWNER TO %s', obj, nfa_grp('admin'));
        END LOOP;

        -- Everyone reads the schema, the roles and the settings.
        EXECUTE format('GRANT SELECT ON nfa_schema, nfa_roles, settings TO %s, %s, %s',
                       nfa_grp('engineer'), nfa_grp('helpdesk'), nfa_grp('viewer'));
        -- Viewer, helpdesk and engineer read the accounts' data (the
        -- helpdesk's rows are filtered below).
        EXECUTE format('GRANT SELECT ON accounts, ad_users, ad_groups, tasks, logs, checks, nfa_scope
                        TO %s, %s, %s', nfa_grp('engineer'), nfa_grp('helpdesk'), nfa_grp('viewer'));
        -- Helpdesk and engineer refresh and run tasks: record tasks, log
        -- lines, checks and the AD cache, and the account's facts.
        EXECUTE format('GRANT INSERT ON tasks, logs, checks, ad_users, ad_groups TO %s, %s',
                       nfa_grp('engineer'), nfa_grp('helpdesk'));
        EXECUTE format('GRANT DELETE ON ad_users, ad_groups TO %s, %s',
                       nfa_grp('engineer'), nfa_grp('helpdesk'));
        EXECUTE format('GRANT UPDATE (display_name, upn, enabled) ON ad_users TO %s, %s',
                       nfa_grp('engineer'), nfa_grp('helpdesk'));
        EXECUTE format('GRANT UPDATE (display_name) ON ad_groups TO %s, %s',
                       nfa_grp('engineer'), nfa_grp('helpdesk'));
        EXECUTE format('GRANT UPDATE (status, error, started_at, finished_at, owner_host, owner_pid,
                                      owner_token, owner_seen_at) ON tasks TO %s, %s',
                       nfa_grp('engineer'), nfa_grp('helpdesk'));
        EXECUTE format('GRANT UPDATE (last_activity_at, ad_cache_updated_at, ad_users, ad_groups,
                                      directory_cursor) ON accounts TO %s, %s',
                       nfa_grp('engineer'), nfa_grp('helpdesk'));
        -- Engineer adds accounts (and audits: tasks of origin 1).
        EXECUTE format('GRANT INSERT ON accounts TO %s', nfa_grp('engineer'));

        -- Row-level security: viewer and engineer see every row; the
        -- helpdesk only its accounts' (the owner, admin, is not subject).
        FOR obj IN SELECT unnest(ARRAY['accounts', 'ad_users', 'ad_groups', 'tasks', 'logs',
                                       'checks', 'nfa_scope']) LOOP
            EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', obj);
            EXECUTE format('CREATE POLICY every_row ON %I TO %s, %s USING (true) WITH CHECK (true)',
                           obj, nfa_grp('engineer'), nfa_grp('viewer'));
        END LOOP;
        EXECUTE format('CREATE POLICY granted ON accounts TO %s USING (id %s)',
                       nfa_grp('helpdesk'), scope);
        FOR obj IN SELECT unnest(ARRAY['ad_users', 'ad_groups', 'checks']) LOOP
            EXECUTE format('CREATE POLICY granted ON %I TO %s USING (account_id %s)',
                           obj, nfa_grp('helpdesk'), scope);
        END LOOP;
        EXECUTE format('CREATE POLICY granted ON tasks TO %s USING (account_id %s)',
                       nfa_grp('helpdesk'), scope);
        -- The helpdesk refreshes; it does not audit.
        EXECUTE format('CREATE POLICY refresh_only ON tasks AS RESTRICTIVE FOR INSERT TO %s
                        WITH CHECK (origin = 0)', nfa_grp('helpdesk'));
        EXECUTE format('CREATE POLICY granted ON logs FOR SELECT TO %s USING (account_id %s)',
                       nfa_grp('helpdesk'), scope);
        EXECUTE format('CREATE POLICY granted_write ON logs FOR INSERT TO %s
                        WITH CHECK (account_id IS NULL OR account_id %s)', nfa_grp('helpdesk'), scope);
        EXECUTE format('CREATE POLICY own_scope ON nfa_scope FOR SELECT TO %s
                        USING (login::oid = (SELECT u.oid FROM pg_roles u WHERE u.rolname = current_user))',
                       nfa_grp('helpdesk'));
    END $$;
"#;
