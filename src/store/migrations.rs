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
];

/// The schema version this galley writes.
pub fn latest() -> u32 {
    MIGRATIONS.len() as u32
}
