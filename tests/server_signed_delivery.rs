//! Delivery follows only what verifies: where production requires signatures, a deployment row
//! written into the server's file behind galley's back (unsigned, or carrying a signature moved
//! from another deployment) is served by nobody — native and Langfuse API answer 500 and the
//! log names why — while deployments recorded before the requirement keep being served.

mod forgery_support;
mod server_support;

use forgery_support::{Answer, curl, prepare};
use galley::workspace::{PolicyChange, Workspace};
use rusqlite::{Connection, params};
use server_support::{Galley, Server};

/// The file opened directly, the deployments' immutability triggers dropped.
fn tamper(db: &std::path::Path) -> Connection {
    let conn = Connection::open(db).expect("open the server's file");
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS deployments_no_update;
         DROP TRIGGER IF EXISTS deployments_no_delete;",
    )
    .expect("drop the triggers");
    conn
}

fn native(server: &Server, secret: &str, name: &str) -> Answer {
    curl(
        secret,
        &[&server.url(&format!("/v1/prompts/{name}?env=production"))],
    )
}

fn langfuse(server: &Server, secret: &str, name: &str) -> Answer {
    let encoded = name.replace('/', "%2F");
    curl(
        secret,
        &[&server.url(&format!(
            "/api/public/v2/prompts/{encoded}?label=production"
        ))],
    )
}

#[test]
fn an_unsigned_deployment_added_after_signatures_were_required_is_served_by_nobody() {
    let g = Galley::new();
    let keys = prepare(g.db());
    let require = PolicyChange {
        require_signatures: Some(true),
        ..Default::default()
    };
    Workspace::open(g.db(), "root")
        .expect("server workspace")
        .set_policy("production", &require)
        .expect("require signatures");
    let server = Server::start(&g, &[]);
    let name = forgery_support::P;

    // Recorded before signatures were required: still served.
    let before = native(&server, &keys.root, name);
    assert_eq!(before.status, 200, "{before:?}");
    assert_eq!(before.body["version"], 3, "{before:?}");

    // A deployment of version 2 slipped into the file, as galley would have written it but
    // without a signature.
    let conn = tamper(g.db());
    conn.execute(
        "INSERT INTO deployments (prompt, env, version, content_hash, actor, at, kind,
                                  previous_version, record_id)
         SELECT prompt, env, 2, (SELECT content_hash FROM versions v JOIN prompts p
                                 ON p.id = v.prompt_id WHERE p.name = ?1 AND v.number = 2),
                'ada', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 second'), 'deploy', 3,
                '01890000-0000-7000-8000-000000000001'
         FROM deployments WHERE prompt = ?1 AND env = 'production' LIMIT 1",
        params![name],
    )
    .expect("forge a deployment");

    let answer = native(&server, &keys.root, name);
    assert_eq!(answer.status, 500, "{answer:?}");
    let line = server.log_with("does not serve version 2 of");
    assert!(
        line.contains("is not signed and the policy requires signatures"),
        "{line}"
    );
    let answer = langfuse(&server, &keys.root, name);
    assert_eq!(answer.status, 500, "{answer:?}");
    let listing = curl(&keys.root, &[&server.url("/v1/prompts?env=production")]);
    assert_eq!(listing.status, 500, "{listing:?}");
}

#[test]
fn a_signature_moved_from_another_deployment_is_served_by_nobody() {
    let g = Galley::new();
    let out = g.run(&["demo"]);
    assert_eq!(out.code, 0, "{out:#?}");
    // The demo turns the identity override on; its admin, ada, creates a reading key.
    let mut create = g.command();
    create.env("GALLEY_USER", "ada").args([
        "key",
        "create",
        "--name",
        "reader",
        "--scope",
        "read:production",
        "--json",
    ]);
    let key = g.run_cmd(create);
    assert_eq!(key.code, 0, "{key:#?}");
    let key = key.json();
    let secret = key["secret"].as_str().expect("secret").to_string();
    let server = Server::start(&g, &[]);

    let conn = tamper(g.db());
    // A signed production deployment, and another version of the same prompt.
    let (name, version, other): (String, i64, i64) = conn
        .query_row(
            "SELECT d.prompt, d.version,
                    (SELECT max(v.number) FROM versions v JOIN prompts p ON p.id = v.prompt_id
                     WHERE p.name = d.prompt AND v.number <> d.version)
             FROM deployments d
             WHERE d.env = 'production' AND d.signature IS NOT NULL
               AND (SELECT count(*) FROM versions v JOIN prompts p ON p.id = v.prompt_id
                    WHERE p.name = d.prompt) > 1
             ORDER BY d.id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("a signed production deployment in the demo");
    let served = native(&server, &secret, &name);
    assert_eq!(served.status, 200, "{served:?}");

    // The same signature and statement on a deployment of another version.
    conn.execute(
        "INSERT INTO deployments (prompt, env, version, content_hash, actor, at, kind,
                                  previous_version, record_id, statement, signature)
         SELECT prompt, env, ?2, (SELECT content_hash FROM versions v JOIN prompts p
                                  ON p.id = v.prompt_id WHERE p.name = ?1 AND v.number = ?2),
                actor, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 second'), kind, ?3,
                '01890000-0000-7000-8000-000000000002', statement, signature
         FROM deployments WHERE prompt = ?1 AND env = 'production' AND signature IS NOT NULL
         ORDER BY id DESC LIMIT 1",
        params![name, other, version],
    )
    .expect("forge a deployment");

    let answer = native(&server, &secret, &name);
    assert_eq!(answer.status, 500, "{answer:?}");
    let line = server.log_with(&format!("does not serve version {other} of {name}"));
    assert!(line.contains("has a bad signature"), "{line}");
    let answer = langfuse(&server, &secret, &name);
    assert_eq!(answer.status, 500, "{answer:?}");
}
