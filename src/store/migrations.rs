//! Embedded, numbered, append-only schema migrations. Never edit a released entry: add one.

/// Migration `i` (0-based) brings a file from schema version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: prompts, versions, drafts and the audit log.
    r#"
    CREATE TABLE workspace_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;

    CREATE TABLE prompts (
        id             INTEGER PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE,
        prompt_type    TEXT NOT NULL,
        description    TEXT NOT NULL DEFAULT '',
        tags           TEXT NOT NULL DEFAULT '[]',
        created_at     TEXT NOT NULL,
        created_by     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        latest_version INTEGER,
        latest_hash    TEXT
    ) STRICT;

    CREATE TABLE versions (
        id           TEXT PRIMARY KEY,
        prompt_id    INTEGER NOT NULL REFERENCES prompts(id),
        number       INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        content      TEXT NOT NULL,
        author       TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        message      TEXT NOT NULL,
        parent       INTEGER,
        UNIQUE (prompt_id, number)
    ) STRICT;
    CREATE INDEX versions_by_hash ON versions(content_hash);

    CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
    BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;
    CREATE TRIGGER versions_are_kept BEFORE DELETE ON versions
    BEGIN SELECT RAISE(ABORT, 'versions are never deleted'); END;

    CREATE TABLE drafts (
        prompt_id    INTEGER NOT NULL REFERENCES prompts(id),
        user_name    TEXT NOT NULL,
        base_version INTEGER,
        content      TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        PRIMARY KEY (prompt_id, user_name)
    ) STRICT;

    CREATE TABLE audit_log (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        id      TEXT NOT NULL UNIQUE,
        actor   TEXT NOT NULL,
        at      TEXT NOT NULL,
        action  TEXT NOT NULL,
        target  TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}'
    ) STRICT;

    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    "#,
    // 2: evaluation: datasets and their versions, providers, runs, results, the response cache.
    r#"
    CREATE TABLE datasets (
        id             INTEGER PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE,
        description    TEXT NOT NULL DEFAULT '',
        latest_version INTEGER NOT NULL,
        created_at     TEXT NOT NULL,
        created_by     TEXT NOT NULL,
        updated_at     TEXT NOT NULL
    ) STRICT;

    CREATE TABLE dataset_versions (
        dataset_id INTEGER NOT NULL REFERENCES datasets(id),
        version    INTEGER NOT NULL,
        cases      TEXT NOT NULL,
        case_count INTEGER NOT NULL,
        author     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        message    TEXT NOT NULL,
        PRIMARY KEY (dataset_id, version)
    ) STRICT;

    CREATE TRIGGER dataset_versions_are_immutable BEFORE UPDATE ON dataset_versions
    BEGIN SELECT RAISE(ABORT, 'dataset versions are immutable'); END;

    CREATE TABLE providers (
        name       TEXT PRIMARY KEY,
        config     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE eval_runs (
        id              TEXT PRIMARY KEY,
        prompt          TEXT NOT NULL,
        dataset         TEXT NOT NULL,
        dataset_version INTEGER NOT NULL,
        spec            TEXT NOT NULL,
        status          TEXT NOT NULL,
        started_at      TEXT NOT NULL,
        finished_at     TEXT,
        started_by      TEXT NOT NULL,
        summary         TEXT NOT NULL DEFAULT '{}'
    ) STRICT;
    CREATE INDEX eval_runs_by_prompt ON eval_runs(prompt, started_at);

    CREATE TABLE eval_results (
        run_id   TEXT NOT NULL REFERENCES eval_runs(id),
        case_id  TEXT NOT NULL,
        version  INTEGER NOT NULL,
        provider TEXT NOT NULL,
        repeat   INTEGER NOT NULL,
        pass     INTEGER NOT NULL,
        result   TEXT NOT NULL,
        PRIMARY KEY (run_id, case_id, version, provider, repeat)
    ) STRICT;

    CREATE TABLE response_cache (
        key        TEXT PRIMARY KEY,
        response   TEXT NOT NULL,
        created_at TEXT NOT NULL
    ) STRICT;
    "#,
    // 3: the prompt list reads one covering index in name order instead of visiting every row.
    r#"
    CREATE INDEX prompts_listing ON prompts
        (name, prompt_type, description, tags, latest_version, latest_hash, updated_at, id);
    "#,
    // 4: the audit log becomes a hash chain. The append-only triggers are dropped so that
    // `after` can hash the existing entries in order (in Rust: SQLite has no sha256), and
    // migration 5 recreates them; every pending migration runs in one transaction, so no file is
    // ever left with the triggers missing.
    r#"
    DROP TRIGGER audit_log_no_update;
    DROP TRIGGER audit_log_no_delete;
    ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
    ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';
    "#,
    // 5: the audit log is append-only again.
    r#"
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    "#,
    // 6: each prompt keeps its list entry as ready JSON, and the listing index covers just the
    // name and that entry, so `list --json` streams one text per prompt in name order.
    r#"
    ALTER TABLE prompts ADD COLUMN listing TEXT NOT NULL DEFAULT '';
    DROP INDEX prompts_listing;
    CREATE INDEX prompts_listing ON prompts (name, listing, id);
    "#,
    // 7: people, environments and their approval policies. A new workspace has three
    // environments; production needs one approval not by the author, the others are open.
    r#"
    CREATE TABLE users (
        name       TEXT PRIMARY KEY,
        role       TEXT NOT NULL,
        groups     TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    ) STRICT;

    CREATE TABLE environments (
        name       TEXT PRIMARY KEY,
        position   INTEGER NOT NULL,
        created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE policies (
        env        TEXT PRIMARY KEY REFERENCES environments(name),
        policy     TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
    ) STRICT;

    INSERT INTO environments (name, position, created_at) VALUES
        ('development', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        ('staging',     2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        ('production',  3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
    INSERT INTO policies (env, policy, updated_at, updated_by) VALUES
        ('development',
         '{"min_approvals":0,"required_groups":[],"allow_self_approval":true,"require_eval":null,"rejection_blocks":true}',
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'galley'),
        ('staging',
         '{"min_approvals":0,"required_groups":[],"allow_self_approval":true,"require_eval":null,"rejection_blocks":true}',
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'galley'),
        ('production',
         '{"min_approvals":1,"required_groups":[],"allow_self_approval":false,"require_eval":null,"rejection_blocks":true}',
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'galley');
    "#,
    // 8: deployments (immutable records: the newest per prompt and environment is what it
    // serves), review requests, and review decisions bound to a content hash.
    r#"
    CREATE TABLE deployments (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        prompt           TEXT NOT NULL,
        env              TEXT NOT NULL REFERENCES environments(name),
        version          INTEGER NOT NULL,
        content_hash     TEXT NOT NULL,
        actor            TEXT NOT NULL,
        at               TEXT NOT NULL,
        kind             TEXT NOT NULL,
        previous_version INTEGER
    ) STRICT;
    CREATE INDEX deployments_by_prompt ON deployments(prompt, env, id);
    CREATE TRIGGER deployments_no_update BEFORE UPDATE ON deployments
    BEGIN SELECT RAISE(ABORT, 'deployments are immutable'); END;
    CREATE TRIGGER deployments_no_delete BEFORE DELETE ON deployments
    BEGIN SELECT RAISE(ABORT, 'deployments are immutable'); END;

    CREATE TABLE reviews (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        prompt       TEXT NOT NULL,
        version      INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        env          TEXT NOT NULL REFERENCES environments(name),
        requested_by TEXT NOT NULL,
        reviewers    TEXT NOT NULL DEFAULT '[]',
        note         TEXT NOT NULL DEFAULT '',
        at           TEXT NOT NULL
    ) STRICT;

    CREATE TABLE review_decisions (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        review_id    INTEGER NOT NULL REFERENCES reviews(id),
        prompt       TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        reviewer     TEXT NOT NULL,
        groups       TEXT NOT NULL DEFAULT '[]',
        kind         TEXT NOT NULL,
        comment      TEXT NOT NULL,
        at           TEXT NOT NULL
    ) STRICT;
    CREATE INDEX review_decisions_by_prompt ON review_decisions(prompt, content_hash);
    "#,
    // 9: comment threads on a version, optionally anchored to a section and a line. Comments and
    // their resolutions are immutable rows; a thread is resolved once its root has a resolution.
    r#"
    CREATE TABLE comments (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        prompt        TEXT NOT NULL,
        version       INTEGER NOT NULL,
        content_hash  TEXT NOT NULL,
        section       TEXT,
        section_index INTEGER,
        line          INTEGER,
        parent        INTEGER REFERENCES comments(id),
        author        TEXT NOT NULL,
        body          TEXT NOT NULL,
        at            TEXT NOT NULL
    ) STRICT;
    CREATE INDEX comments_by_prompt ON comments(prompt, version, id);
    CREATE TRIGGER comments_no_update BEFORE UPDATE ON comments
    BEGIN SELECT RAISE(ABORT, 'comments are immutable'); END;
    CREATE TRIGGER comments_no_delete BEFORE DELETE ON comments
    BEGIN SELECT RAISE(ABORT, 'comments are immutable'); END;

    CREATE TABLE comment_resolutions (
        comment_id  INTEGER PRIMARY KEY REFERENCES comments(id),
        resolved_by TEXT NOT NULL,
        at          TEXT NOT NULL
    ) STRICT;
    CREATE TRIGGER comment_resolutions_no_update BEFORE UPDATE ON comment_resolutions
    BEGIN SELECT RAISE(ABORT, 'comment resolutions are immutable'); END;
    CREATE TRIGGER comment_resolutions_no_delete BEFORE DELETE ON comment_resolutions
    BEGIN SELECT RAISE(ABORT, 'comment resolutions are immutable'); END;
    "#,
    // 10: API keys for the delivery server. Only a hash of the secret is kept; a key is never
    // deleted, and the only change allowed is its revocation, once.
    r#"
    CREATE TABLE api_keys (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        scope       TEXT NOT NULL,
        principal   TEXT NOT NULL,
        secret_hash TEXT NOT NULL UNIQUE,
        created_at  TEXT NOT NULL,
        created_by  TEXT NOT NULL,
        revoked_at  TEXT,
        revoked_by  TEXT
    ) STRICT;
    CREATE TRIGGER api_keys_only_revoke BEFORE UPDATE ON api_keys
    WHEN OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
        OR NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name OR NEW.scope IS NOT OLD.scope
        OR NEW.principal IS NOT OLD.principal OR NEW.secret_hash IS NOT OLD.secret_hash
        OR NEW.created_at IS NOT OLD.created_at OR NEW.created_by IS NOT OLD.created_by
    BEGIN SELECT RAISE(ABORT, 'an API key can only be revoked, once'); END;
    CREATE TRIGGER api_keys_no_delete BEFORE DELETE ON api_keys
    BEGIN SELECT RAISE(ABORT, 'API keys are never deleted'); END;
    "#,
    // 11: sync. Every shared record gets a globally unique id (UUIDv7; versions and eval runs
    // already have one), and each store keeps `sync_log`: the records in the order it applied
    // them, fed by triggers, so whatever writes a record (a command, the server's own API, an
    // import from a remote) is logged. On a server that order is the one clients pull by cursor.
    // A client also keeps its remotes, what each remote acknowledged (with the remote's order),
    // and what it refused. The immutability triggers on the tables that gain a column are
    // dropped here so `after` can fill the ids, and recreated there, in the same transaction.
    r#"
    DROP TRIGGER deployments_no_update;
    DROP TRIGGER comments_no_update;
    DROP TRIGGER comment_resolutions_no_update;
    DROP TRIGGER dataset_versions_are_immutable;
    ALTER TABLE reviews ADD COLUMN record_id TEXT;
    ALTER TABLE review_decisions ADD COLUMN record_id TEXT;
    ALTER TABLE comments ADD COLUMN record_id TEXT;
    ALTER TABLE comment_resolutions ADD COLUMN record_id TEXT;
    ALTER TABLE deployments ADD COLUMN record_id TEXT;
    ALTER TABLE dataset_versions ADD COLUMN record_id TEXT;

    CREATE TABLE sync_log (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL UNIQUE,
        kind      TEXT NOT NULL
    ) STRICT;

    CREATE TABLE sync_remotes (
        name           TEXT PRIMARY KEY,
        url            TEXT NOT NULL,
        key_env        TEXT NOT NULL,
        created_at     TEXT NOT NULL,
        pull_cursor    INTEGER NOT NULL DEFAULT 0,
        pushed_through INTEGER NOT NULL DEFAULT 0,
        server_head    INTEGER,
        last_sync      TEXT,
        last_attempt   TEXT,
        last_error     TEXT
    ) STRICT;

    CREATE TABLE sync_known (
        remote     TEXT NOT NULL,
        record_id  TEXT NOT NULL,
        remote_seq INTEGER NOT NULL,
        PRIMARY KEY (remote, record_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX sync_known_by_record ON sync_known (record_id, remote_seq);
    CREATE INDEX sync_known_by_position ON sync_known (remote, remote_seq);

    CREATE TABLE sync_rejected (
        remote    TEXT NOT NULL,
        record_id TEXT NOT NULL,
        reason    TEXT NOT NULL,
        at        TEXT NOT NULL,
        PRIMARY KEY (remote, record_id)
    ) STRICT;
    "#,
    // 12: production observations and their rollups (issue 7). An observation's id is unique,
    // so a re-send is a no-op; `body` is its validated wire form. Rollups per prompt × version
    // × env × hour and day are upserted in the transaction that inserts the observations, and
    // their primary key serves "one prompt over a time range". Partial indexes serve the worst
    // observations: errors (newest first) and negative feedback (lowest first); the slowest are
    // found by scanning the covering time index of the range, since an index on latency alone
    // takes its inserts at random places and would cost ingestion a page write per row.
    r#"
    CREATE TABLE observations (
        seq        INTEGER PRIMARY KEY,
        id         TEXT NOT NULL UNIQUE,
        prompt     TEXT NOT NULL,
        version    INTEGER NOT NULL,
        env        TEXT NOT NULL,
        at_ms      INTEGER NOT NULL,
        status     TEXT NOT NULL,
        latency_us INTEGER,
        feedback   INTEGER,
        body       TEXT NOT NULL
    ) STRICT;
    CREATE INDEX observations_by_time ON observations (prompt, at_ms, latency_us, env);
    CREATE INDEX observations_errors ON observations (prompt, at_ms) WHERE status = 'error';
    CREATE INDEX observations_negative ON observations (prompt, feedback, at_ms)
        WHERE feedback <= 1;

    CREATE TABLE observation_rollups (
        prompt            TEXT NOT NULL,
        version           INTEGER NOT NULL,
        env               TEXT NOT NULL,
        size              TEXT NOT NULL,
        start_ms          INTEGER NOT NULL,
        calls             INTEGER NOT NULL,
        errors            INTEGER NOT NULL,
        latency_sum_us    INTEGER NOT NULL,
        input_tokens      INTEGER NOT NULL,
        output_tokens     INTEGER NOT NULL,
        cost_count        INTEGER NOT NULL,
        cost_nanos        INTEGER NOT NULL,
        feedback_count    INTEGER NOT NULL,
        feedback_points   INTEGER NOT NULL,
        negative_feedback INTEGER NOT NULL,
        latency           BLOB NOT NULL,
        PRIMARY KEY (prompt, size, start_ms, version, env)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 13: monitoring data synced from a server into workspaces (issue 7). Each rollup row gets
    // the position of its last change (`change_seq`, one more than the file's highest, set by
    // every upsert; the index makes that maximum and "changed after" cheap), so a client pulls
    // the buckets that grew since its cursor. `pulled` marks a bucket whose numbers came from a
    // server: the server's numbers replace the local ones, and local ingestion leaves it alone.
    // `sync_monitor` is a client's cursor per remote, with what it knows of the server's head.
    r#"
    ALTER TABLE observation_rollups ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE observation_rollups ADD COLUMN pulled INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX observation_rollups_by_change ON observation_rollups (change_seq);

    CREATE TABLE sync_monitor (
        remote         TEXT PRIMARY KEY,
        cursor         INTEGER NOT NULL DEFAULT 0,
        head           INTEGER NOT NULL DEFAULT 0,
        last_bucket_ms INTEGER,
        rollups        INTEGER NOT NULL DEFAULT 0,
        samples        INTEGER NOT NULL DEFAULT 0,
        pulled_at      TEXT,
        sample_count   INTEGER NOT NULL DEFAULT 5
    ) STRICT;
    "#,
    // 14: signed decisions (issue 11). People's SSH public keys, each registration and
    // revocation a signed, immutable record; decisions and deployments keep the statement that
    // was signed and the armored signature (NULL when unsigned). `workspace_meta` gets the
    // workspace's id, named in every statement.
    r#"
    CREATE TABLE user_keys (
        id          INTEGER PRIMARY KEY,
        record_id   TEXT NOT NULL UNIQUE,
        user_name   TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        public_key  TEXT NOT NULL,
        added_by    TEXT NOT NULL,
        at          TEXT NOT NULL,
        statement   TEXT NOT NULL,
        signature   TEXT
    ) STRICT;
    CREATE INDEX user_keys_by_fingerprint ON user_keys (fingerprint);
    CREATE TRIGGER user_keys_are_immutable BEFORE UPDATE ON user_keys
    BEGIN SELECT RAISE(ABORT, 'key registrations are immutable'); END;
    CREATE TRIGGER user_keys_are_kept BEFORE DELETE ON user_keys
    BEGIN SELECT RAISE(ABORT, 'key registrations are never deleted: revoke the key'); END;

    CREATE TABLE key_revocations (
        id          INTEGER PRIMARY KEY,
        record_id   TEXT NOT NULL UNIQUE,
        user_name   TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        revoked_by  TEXT NOT NULL,
        at          TEXT NOT NULL,
        statement   TEXT NOT NULL,
        signature   TEXT
    ) STRICT;
    CREATE TRIGGER key_revocations_are_immutable BEFORE UPDATE ON key_revocations
    BEGIN SELECT RAISE(ABORT, 'key revocations are immutable'); END;
    CREATE TRIGGER key_revocations_are_kept BEFORE DELETE ON key_revocations
    BEGIN SELECT RAISE(ABORT, 'key revocations are never deleted'); END;

    CREATE TRIGGER sync_log_user_key AFTER INSERT ON user_keys
    BEGIN INSERT INTO sync_log (record_id, kind) VALUES (NEW.record_id, 'user_key'); END;
    CREATE TRIGGER sync_log_key_revocation AFTER INSERT ON key_revocations
    BEGIN INSERT INTO sync_log (record_id, kind) VALUES (NEW.record_id, 'key_revocation'); END;

    ALTER TABLE review_decisions ADD COLUMN statement TEXT;
    ALTER TABLE review_decisions ADD COLUMN signature TEXT;
    ALTER TABLE deployments ADD COLUMN statement TEXT;
    ALTER TABLE deployments ADD COLUMN signature TEXT;

    -- Audit checkpoints: a checkpoint pins the chain's head as it was (entry `seq` had `hash`);
    -- `audit verify` checks the chain still extends every one. `statement` is the text its
    -- signer signed, `signature` the armored signature and `key` its fingerprint.
    CREATE TABLE audit_checkpoints (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        seq       INTEGER NOT NULL,
        hash      TEXT NOT NULL,
        actor     TEXT NOT NULL,
        at        TEXT NOT NULL,
        statement TEXT,
        signature TEXT,
        key       TEXT
    ) STRICT;
    CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit checkpoints are immutable'); END;
    CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit checkpoints are immutable'); END;
    INSERT INTO workspace_meta (key, value)
    SELECT 'workspace_id', lower(hex(randomblob(16)))
    WHERE NOT EXISTS (SELECT 1 FROM workspace_meta WHERE key = 'workspace_id');
    "#,
    // 15: what the delivery server caches follows a counter that moves only with what a served
    // answer or a key check reads (issue 12): prompts and their versions (includes read other
    // prompts' latest versions), deployments, environments and their policies, API keys, and
    // what a signatures-required environment checks its deployments against (people's roles,
    // their SSH keys and revocations, the workspace's id). Observations, rollups, reviews,
    // comments, drafts, evals, the audit log and sync bookkeeping leave it alone, so ingesting
    // does not empty the cache. A later migration that rebuilds one of these tables must
    // recreate its three triggers.
    r#"
    CREATE TABLE delivery_changes (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        n  INTEGER NOT NULL
    ) STRICT;
    INSERT INTO delivery_changes (id, n) VALUES (1, 0);
    CREATE TRIGGER delivery_changes_prompts_insert AFTER INSERT ON prompts
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_prompts_update AFTER UPDATE ON prompts
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_prompts_delete AFTER DELETE ON prompts
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_versions_insert AFTER INSERT ON versions
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_versions_update AFTER UPDATE ON versions
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_versions_delete AFTER DELETE ON versions
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_deployments_insert AFTER INSERT ON deployments
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_deployments_update AFTER UPDATE ON deployments
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_deployments_delete AFTER DELETE ON deployments
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_environments_insert AFTER INSERT ON environments
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_environments_update AFTER UPDATE ON environments
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_environments_delete AFTER DELETE ON environments
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_policies_insert AFTER INSERT ON policies
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_policies_update AFTER UPDATE ON policies
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_policies_delete AFTER DELETE ON policies
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_api_keys_insert AFTER INSERT ON api_keys
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_api_keys_update AFTER UPDATE ON api_keys
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_api_keys_delete AFTER DELETE ON api_keys
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_users_insert AFTER INSERT ON users
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_users_update AFTER UPDATE ON users
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_users_delete AFTER DELETE ON users
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_user_keys_insert AFTER INSERT ON user_keys
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_user_keys_update AFTER UPDATE ON user_keys
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_user_keys_delete AFTER DELETE ON user_keys
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_key_revocations_insert AFTER INSERT ON key_revocations
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_key_revocations_update AFTER UPDATE ON key_revocations
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_key_revocations_delete AFTER DELETE ON key_revocations
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_workspace_id_insert AFTER INSERT ON workspace_meta
    WHEN NEW.key = 'workspace_id'
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_workspace_id_update AFTER UPDATE ON workspace_meta
    WHEN NEW.key = 'workspace_id'
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER delivery_changes_workspace_id_delete AFTER DELETE ON workspace_meta
    WHEN OLD.key = 'workspace_id'
    BEGIN UPDATE delivery_changes SET n = n + 1 WHERE id = 1; END;
    "#,
];

/// The part of a migration SQL cannot do, run right after the SQL that brings the file to
/// schema `version`, in the same transaction.
pub fn after(conn: &rusqlite::Connection, version: u32) -> Result<(), super::StoreError> {
    match version {
        4 => super::audit::chain_existing_entries(conn),
        6 => super::prompts::refresh_all_listings(conn),
        11 => super::sync::stamp_existing_records(conn),
        13 => super::sync::number_existing_rollups(conn),
        _ => Ok(()),
    }
}

/// The schema version this galley writes.
pub fn latest() -> u32 {
    MIGRATIONS.len() as u32
}
