//! Signed decisions with OpenSSH itself (issue 11, "Signed decisions" and "Bad input"): three
//! real OS accounts share one workspace file whose production requires signatures; alice (admin)
//! has an ed25519 key, bob (reviewer, compliance) an ECDSA P-256 key and carol (reviewer) an
//! RSA 3072 key, all made by `ssh-keygen`. galley signs from key files and from a real
//! `ssh-agent`; its signatures are checked with `ssh-keygen -Y verify`, and signatures
//! `ssh-keygen -Y sign` made are checked by galley.

mod common;

use std::path::{Path, PathBuf};

use common::{Galley, Out, json_as, ok_as, refused_as, run_as};
use serde_json::Value;

mod signing_support;
use signing_support::{Agent, Key, keygen, pty_run, ssh_keygen_sign, ssh_keygen_verify};

const P: &str = "support/triage";

/// The workspace of every test: alice registers her own key (the trust root), then bob's and
/// carol's; production requires signatures; alice wrote version 2 and asks bob and carol to
/// review it for production.
struct World {
    g: Galley,
    alice: Key,
    bob: Key,
    carol: Key,
    review: String,
}

fn setup() -> World {
    let g = Galley::new();
    ok_as(&g, "alice", &["user", "add", "alice", "--role", "admin"]);
    ok_as(
        &g,
        "alice",
        &[
            "user",
            "add",
            "bob",
            "--role",
            "reviewer",
            "--group",
            "compliance",
        ],
    );
    ok_as(&g, "alice", &["user", "add", "carol", "--role", "reviewer"]);
    let alice = keygen(&g, "alice", "id_ed25519", &["-t", "ed25519"], "");
    let bob = keygen(&g, "bob", "id_ecdsa", &["-t", "ecdsa", "-b", "256"], "");
    let carol = keygen(&g, "carol", "id_rsa", &["-t", "rsa", "-b", "3072"], "");
    for (user, key) in [("alice", &alice), ("bob", &bob), ("carol", &carol)] {
        ok_as(
            &g,
            "alice",
            &[
                "--signing-key",
                alice.private_str(),
                "user",
                "key",
                "add",
                user,
                "--file",
                key.public_str(),
            ],
        );
    }
    ok_as(
        &g,
        "alice",
        &["policy", "set", "production", "--require-signatures"],
    );
    ok_as(&g, "alice", &["new", P]);
    ok_as(&g, "alice", &["set", P, "1", "--text", "Triage with care."]);
    ok_as(&g, "alice", &["commit", P, "-m", "care"]);
    let review = json_as(
        &g,
        "alice",
        &[
            "review",
            "request",
            P,
            "--version",
            "2",
            "--env",
            "production",
            "--reviewer",
            "bob",
            "--reviewer",
            "carol",
            "-m",
            "please",
        ],
    )["id"]
        .as_i64()
        .expect("a review id")
        .to_string();
    World {
        g,
        alice,
        bob,
        carol,
        review,
    }
}

/// Runs galley as `user` with extra environment variables.
fn run_env(g: &Galley, user: &str, env: &[(&str, &Path)], args: &[&str]) -> Out {
    let mut cmd = g.command_as(user);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args);
    g.run_cmd(cmd)
}

/// Asserts `out` is a refusal: exit 1 and exactly one line on stderr, `expected` when given.
fn one_line_refusal(out: &Out, what: &str) -> String {
    assert_eq!(out.code, 1, "{what}: {out:#?}");
    assert_eq!(out.stderr.lines().count(), 1, "{what}: {}", out.stderr);
    assert!(out.stderr.starts_with("error: "), "{what}: {}", out.stderr);
    out.stderr.trim_end().to_string()
}

fn audit_len(g: &Galley) -> usize {
    json_as(g, "alice", &["audit", "log", "-n", "0"])
        .as_array()
        .expect("entries")
        .len()
}

fn show(w: &World) -> Value {
    json_as(&w.g, "alice", &["review", "show", &w.review])["review"].clone()
}

/// The review's decisions, oldest first.
fn decisions(w: &World) -> Vec<Value> {
    show(w)["decisions"].as_array().expect("decisions").clone()
}

fn approve_with_key(w: &World, user: &str, key: &Key, comment: &str) -> Value {
    let args = [
        "--signing-key",
        key.private_str(),
        "review",
        "approve",
        &w.review,
        "-m",
        comment,
    ];
    json_as(&w.g, user, &args)
}

/// Replaces the stored signature of `reviewer`'s decisions with `armored`, editing the file the
/// way anyone who can write it could (the decisions table has no update trigger to drop).
fn replace_decision_signature(g: &Galley, reviewer: &str, armored: &str) {
    let conn = rusqlite::Connection::open(g.db()).expect("open the workspace file");
    let changed = conn
        .execute(
            "UPDATE review_decisions SET signature = ?1 WHERE reviewer = ?2",
            rusqlite::params![armored, reviewer],
        )
        .expect("replace the signature");
    assert_eq!(changed, 1, "{reviewer} has one decision");
}

#[test]
fn keys_of_three_types_register_back_to_alices_self_signed_root() {
    let w = setup();
    let listing = json_as(&w.g, "alice", &["user", "key", "list"]);
    assert_eq!(listing["root"], w.alice.fingerprint.as_str(), "{listing:#}");
    let keys = listing["keys"].as_array().expect("keys");
    let seen: Vec<(&str, &str, &str, &str, bool)> = keys
        .iter()
        .map(|k| {
            (
                k["user"].as_str().unwrap(),
                k["fingerprint"].as_str().unwrap(),
                k["algorithm"].as_str().unwrap(),
                k["status"].as_str().unwrap(),
                k["root"].as_bool().unwrap(),
            )
        })
        .collect();
    // The fingerprints are the ones `ssh-keygen -l` prints for the same files.
    assert_eq!(
        seen,
        vec![
            (
                "alice",
                w.alice.fingerprint.as_str(),
                "ssh-ed25519",
                "valid",
                true
            ),
            (
                "bob",
                w.bob.fingerprint.as_str(),
                "ecdsa-sha2-nistp256",
                "valid",
                false
            ),
            (
                "carol",
                w.carol.fingerprint.as_str(),
                "ssh-rsa",
                "valid",
                false
            ),
        ]
    );
    for k in keys.iter().filter(|k| k["user"] != "alice") {
        assert_eq!(k["added_by"], "alice");
    }
    let bobs = json_as(&w.g, "bob", &["user", "key", "list", "bob"]);
    assert_eq!(bobs["keys"].as_array().unwrap().len(), 1);
    assert_eq!(bobs["keys"][0]["fingerprint"], w.bob.fingerprint.as_str());
    let human = ok_as(&w.g, "carol", &["user", "key", "list"]).stdout;
    assert!(
        human.contains(&format!("trust root: {}", w.alice.fingerprint)),
        "{human}"
    );
    let policy = json_as(&w.g, "alice", &["policy", "show", "production"]);
    assert_eq!(policy["policy"]["require_signatures"], true, "{policy:#}");

    // Each registration is an ssh-keygen-verifiable signature by alice's key: the root signs
    // itself, and bob's and carol's are signed by the root.
    let conn = rusqlite::Connection::open(w.g.db()).expect("open the workspace file");
    let mut rows = conn
        .prepare("SELECT user_name, statement, signature FROM user_keys ORDER BY id")
        .unwrap();
    let rows: Vec<(String, String, String)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 3);
    for (user, statement, signature) in &rows {
        let verified = ssh_keygen_verify(&w.g, "alice", &w.alice, statement, signature);
        assert!(
            verified.status.success(),
            "{user}'s registration: {verified:?}"
        );
    }
}

#[test]
fn a_decision_galley_signs_through_ssh_agent_verifies_with_ssh_keygen() {
    let w = setup();
    // bob's key lives only in a real ssh-agent, run as bob: galley asks it to sign over the
    // agent protocol and never reads the key file.
    let agent = Agent::start(&w.g, "bob");
    agent.add(&w.bob);
    let sock = agent.socket.clone();
    let out = run_env(
        &w.g,
        "bob",
        &[("SSH_AUTH_SOCK", &sock)],
        &["--json", "review", "approve", &w.review, "-m", "checked"],
    );
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(out.json()["status"], "approved");
    let d = &decisions(&w)[0];
    assert_eq!(d["reviewer"], "bob");
    assert_eq!(d["verified"], true, "{d:#}");
    assert_eq!(d["key"], w.bob.fingerprint.as_str());
    let statement = d["statement"].as_str().expect("a statement");
    let signature = d["signature"].as_str().expect("a signature");
    assert!(signature.starts_with("-----BEGIN SSH SIGNATURE-----\n"));
    assert!(statement.starts_with("galley review decision v1\n"));
    assert!(statement.contains("\nreviewer: bob\n") && statement.contains("\nversion: 2\n"));

    // OpenSSH accepts it for bob in the galley namespace...
    let good = ssh_keygen_verify(&w.g, "bob", &w.bob, statement, signature);
    assert!(good.status.success(), "{good:?}");
    let said = String::from_utf8_lossy(&good.stdout);
    assert!(said.contains("Good \"galley\" signature for bob"), "{said}");
    // ...and only over that exact text and for that key.
    let changed = statement.replace("decision: approve", "decision: reject");
    let bad = ssh_keygen_verify(&w.g, "bob", &w.bob, &changed, signature);
    assert!(
        !bad.status.success(),
        "a changed statement verified: {bad:?}"
    );
    let not_carol = ssh_keygen_verify(&w.g, "carol", &w.carol, statement, signature);
    assert!(
        !not_carol.status.success(),
        "verified as carol's: {not_carol:?}"
    );

    let human = ok_as(&w.g, "carol", &["review", "show", &w.review]).stdout;
    assert!(human.contains("bob approve ✓ signed"), "{human}");
}

#[test]
fn signatures_ssh_keygen_makes_over_galleys_statements_are_accepted_by_galley() {
    let w = setup();
    // RSA (PKCS#1 v1.5) and Ed25519 signatures are deterministic: the same key over the same
    // bytes gives the same signature, so ssh-keygen reproducing galley's armored block byte for
    // byte shows the statement, namespace, hash and armor are exactly OpenSSH's.
    let carol = approve_with_key(&w, "carol", &w.carol, "fine by me");
    assert_eq!(carol["status"], "approved");
    let d = &decisions(&w)[0];
    let statement = d["statement"].as_str().unwrap();
    let galleys = d["signature"].as_str().unwrap();
    assert_eq!(ssh_keygen_sign(&w.g, &w.carol, statement), galleys);
    let conn = rusqlite::Connection::open(w.g.db()).unwrap();
    let (root_statement, root_signature): (String, String) = conn
        .query_row(
            "SELECT statement, signature FROM user_keys WHERE user_name = 'alice'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);
    assert_eq!(
        ssh_keygen_sign(&w.g, &w.alice, &root_statement),
        root_signature
    );

    // ECDSA signatures are randomised: ssh-keygen's differs from galley's, and put in its
    // place galley must still verify it (it is bob's valid signature of the same statement).
    approve_with_key(&w, "bob", &w.bob, "compliant");
    let d = decisions(&w)[1].clone();
    let statement = d["statement"].as_str().unwrap();
    let openssh = ssh_keygen_sign(&w.g, &w.bob, statement);
    assert_ne!(openssh, d["signature"].as_str().unwrap());
    replace_decision_signature(&w.g, "bob", &openssh);
    let d = decisions(&w)[1].clone();
    assert_eq!(d["signature"], openssh.as_str());
    assert_eq!(d["verified"], true, "{d:#}");
    assert_eq!(d["key"], w.bob.fingerprint.as_str());
    assert_eq!(show(&w)["verdict"]["allowed"], true);

    // The same check fails for an ssh-keygen signature by bob over a statement that differs
    // from the record in one field: galley's acceptance above is not a rubber stamp.
    let other = ssh_keygen_sign(&w.g, &w.bob, &statement.replace("version: 2", "version: 1"));
    replace_decision_signature(&w.g, "bob", &other);
    let review = show(&w);
    let d = &review["decisions"][1];
    assert_eq!(d["verified"], false, "{d:#}");
    let missing = review["verdict"]["missing"].to_string();
    assert!(
        missing.contains("bob's approval has a bad signature: the signature does not match"),
        "{missing}"
    );
}

#[test]
fn with_signatures_required_an_unsigned_or_unregistered_decision_is_refused() {
    let w = setup();
    let before = audit_len(&w.g);
    let bob = |env: &[(&str, &Path)], args: &[&str]| run_env(&w.g, "bob", env, args);
    let approve = ["review", "approve", w.review.as_str(), "-m", "ok"];

    // No agent and no key file.
    let err = one_line_refusal(&bob(&[], &approve), "no key");
    assert!(err.starts_with("error: no signing key: "), "{err}");

    // A key file that is not bob's registered key (carol's, copied to bob).
    let stolen = w.carol.copy_for(&w.g, "bob", "carols_key");
    let mut with_key = vec!["--signing-key", stolen.private_str()];
    with_key.extend_from_slice(&approve);
    let err = one_line_refusal(&bob(&[], &with_key), "carol's key");
    assert_eq!(
        err,
        format!(
            "error: the signing key {} ({}) is not registered to you (yours: {})",
            stolen.private.display(),
            w.carol.fingerprint,
            w.bob.fingerprint
        )
    );

    // An agent that is not there.
    let nothing = w.g.path("no-agent.sock");
    let err = one_line_refusal(&bob(&[("SSH_AUTH_SOCK", &nothing)], &approve), "no agent");
    assert!(
        err.starts_with(&format!(
            "error: the ssh-agent at {} cannot be reached",
            nothing.display()
        )),
        "{err}"
    );

    // An agent holding only a key nobody registered.
    let agent = Agent::start(&w.g, "bob");
    let spare = keygen(&w.g, "bob", "spare", &["-t", "ed25519"], "");
    agent.add(&spare);
    let err = one_line_refusal(
        &bob(&[("SSH_AUTH_SOCK", &agent.socket)], &approve),
        "agent without bob's key",
    );
    assert_eq!(
        err,
        format!(
            "error: the ssh-agent holds none of the keys registered to you ({}): `ssh-add` one",
            w.bob.fingerprint
        )
    );

    assert_eq!(decisions(&w), Vec::<Value>::new());
    assert_eq!(audit_len(&w.g), before);
    assert_eq!(show(&w)["status"], "pending");
}

#[test]
fn after_carols_key_is_revoked_her_earlier_approval_no_longer_counts() {
    let w = setup();
    assert_eq!(
        approve_with_key(&w, "carol", &w.carol, "ok")["verdict"]["allowed"],
        true
    );
    let revoked = json_as(
        &w.g,
        "alice",
        &[
            "--signing-key",
            w.alice.private_str(),
            "user",
            "key",
            "revoke",
            "carol",
            &w.carol.fingerprint,
        ],
    );
    assert_eq!(revoked["status"], "revoked", "{revoked:#}");

    let review = show(&w);
    assert_eq!(review["verdict"]["allowed"], false, "{review:#}");
    let missing: Vec<&str> = review["verdict"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let prefix = format!(
        "carol's approval has a bad signature: signed by a revoked key ({}, revoked by alice at ",
        w.carol.fingerprint
    );
    assert!(
        missing.iter().any(|m| m.starts_with(&prefix)),
        "{missing:?}"
    );
    assert_eq!(review["decisions"][0]["verified"], false);
    let human = ok_as(&w.g, "bob", &["review", "show", &w.review]).stdout;
    assert!(
        human.contains("carol approve ✗ bad signature (signed by a revoked key"),
        "{human}"
    );
    // Production stays closed to version 2, and carol's key signs nothing new.
    let deploy = [
        "--signing-key",
        w.alice.private_str(),
        "deploy",
        P,
        "--version",
        "2",
        "--env",
        "production",
    ];
    let err = refused_as(&w.g, "alice", &deploy);
    assert!(
        err.contains("carol's approval has a bad signature"),
        "{err}"
    );
    let before = audit_len(&w.g);
    let out = run_as(
        &w.g,
        "carol",
        &[
            "--signing-key",
            w.carol.private_str(),
            "review",
            "reject",
            &w.review,
            "-m",
            "no",
        ],
    );
    one_line_refusal(&out, "a revoked key signing");
    assert_eq!(audit_len(&w.g), before);
}

#[test]
fn a_deployment_to_production_is_signed_by_its_deployer() {
    let w = setup();
    approve_with_key(&w, "bob", &w.bob, "ok");
    let before = audit_len(&w.g);
    let deploy = ["deploy", P, "--version", "2", "--env", "production"];
    let err = one_line_refusal(&run_as(&w.g, "alice", &deploy), "deploy without a key");
    assert!(err.starts_with("error: no signing key: "), "{err}");
    assert_eq!(audit_len(&w.g), before);
    let status = json_as(&w.g, "alice", &["envs", P, "--history"]);
    assert_eq!(status, Value::Array(vec![]), "nothing deployed: {status:#}");

    let mut signed = vec!["--signing-key", w.alice.private_str()];
    signed.extend_from_slice(&deploy);
    let d = json_as(&w.g, "alice", &signed);
    let statement = d["statement"].as_str().expect("a signed statement");
    let signature = d["signature"].as_str().expect("a signature");
    assert!(
        statement.starts_with("galley deployment v1\n"),
        "{statement}"
    );
    assert!(
        statement.contains("\nactor: alice\n") && statement.contains("\nenvironment: production\n")
    );
    let good = ssh_keygen_verify(&w.g, "alice", &w.alice, statement, signature);
    assert!(good.status.success(), "{good:?}");
    let as_bob = ssh_keygen_verify(&w.g, "bob", &w.bob, statement, signature);
    assert!(!as_bob.status.success(), "{as_bob:?}");
}

#[test]
fn bad_keys_and_passphrases_get_one_clear_line_and_nothing_is_recorded() {
    let w = setup();
    let g = &w.g;
    let keys_before = json_as(g, "alice", &["user", "key", "list"]);
    let before = audit_len(g);
    let add = |user: &str, file: &Path| {
        run_as(
            g,
            user,
            &[
                "--signing-key",
                w.alice.private_str(),
                "user",
                "key",
                "add",
                "carol",
                "--file",
                file.to_str().unwrap(),
            ],
        )
    };
    let malformed = g.write("malformed.pub", "ssh-ed25519 not!base64 carol@host\n");
    let short_rsa = keygen(g, "alice", "rsa1024", &["-t", "rsa", "-b", "1024"], "");
    let sk = g.write(
        "sk.pub",
        &format!("{} carol@yubikey\n", signing_support::sk_ed25519_line()),
    );
    let twice = format!(
        "key {} is already registered to bob (since ",
        w.bob.fingerprint
    );
    let cases: Vec<(&str, PathBuf, &str)> = vec![
        (
            "malformed",
            malformed,
            "invalid key: not an OpenSSH public key (",
        ),
        (
            "private",
            short_rsa.private.clone(),
            "invalid key: this is a private key: register the public key (the `.pub` file)",
        ),
        (
            "rsa 1024",
            short_rsa.public.clone(),
            "invalid key: RSA keys need at least 2048 bits; this one has 1024",
        ),
        (
            "ed25519-sk",
            sk,
            "invalid key: unsupported key type sk-ssh-ed25519@openssh.com: use an ed25519, ecdsa or rsa key",
        ),
        ("twice", w.bob.public.clone(), &twice),
    ];
    for (what, file, expected) in &cases {
        let err = one_line_refusal(&add("alice", file), what);
        assert!(
            err.starts_with(&format!("error: {}: {expected}", file.display())),
            "{what}: {err}"
        );
    }
    // A reviewer registering a key (even a sound one, with her own valid key to sign it).
    let spare = keygen(g, "carol", "spare", &["-t", "ed25519"], "");
    let out = run_as(
        g,
        "carol",
        &[
            "--signing-key",
            w.carol.private_str(),
            "user",
            "key",
            "add",
            "carol",
            "--file",
            spare.public_str(),
        ],
    );
    let err = one_line_refusal(&out, "non-admin");
    assert!(err.contains("admin"), "{err}");

    // An encrypted key file: with no terminal to ask on, galley says it needs the passphrase;
    // on a terminal given a wrong one, it names the file.
    let locked = keygen(g, "carol", "locked", &["-t", "ed25519"], "right horse");
    let approve = [
        "--signing-key",
        locked.private_str(),
        "review",
        "approve",
        w.review.as_str(),
        "-m",
        "ok",
    ];
    let err = one_line_refusal(&run_as(g, "carol", &approve), "no terminal");
    assert!(
        err.starts_with(&format!(
            "error: the signing key {} is protected by a passphrase",
            locked.private.display()
        )),
        "{err}"
    );
    let (code, screen) = pty_run(g.command_as("carol"), &approve, "battery staple");
    assert_eq!(code, 1, "{screen}");
    let errors: Vec<&str> = screen.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(
        errors,
        vec![format!(
            "error: wrong passphrase for the signing key {}",
            locked.private.display()
        )],
        "{screen}"
    );

    assert_eq!(json_as(g, "alice", &["user", "key", "list"]), keys_before);
    assert_eq!(audit_len(g), before);
    assert_eq!(decisions(&w), Vec::<Value>::new());
}

#[test]
fn bobs_name_or_bobs_key_does_not_make_alice_bob() {
    let w = setup();
    let g = &w.g;
    // carol writes version 3 and asks alice and bob.
    ok_as(
        g,
        "carol",
        &["set", P, "1", "--text", "Triage with more care."],
    );
    ok_as(g, "carol", &["commit", P, "-m", "more care"]);
    let review = json_as(
        g,
        "carol",
        &[
            "review",
            "request",
            P,
            "--version",
            "3",
            "--env",
            "production",
            "--reviewer",
            "alice",
            "--reviewer",
            "bob",
        ],
    )["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let before = audit_len(g);
    // alice holding a copy of bob's key, with USER=bob, is still alice, and bob's key is not hers.
    let bobs = w.bob.copy_for(g, "alice", "bobs_key");
    let approve = [
        "--signing-key",
        bobs.private_str(),
        "review",
        "approve",
        review.as_str(),
        "-m",
        "ok",
    ];
    let mut cmd = g.command_as("alice");
    cmd.env("USER", "bob").env("LOGNAME", "bob").args(approve);
    let err = one_line_refusal(&g.run_cmd(cmd), "USER=bob with bob's key");
    assert_eq!(
        err,
        format!(
            "error: the signing key {} ({}) is not registered to you (yours: {})",
            bobs.private.display(),
            w.bob.fingerprint,
            w.alice.fingerprint
        )
    );
    let mut cmd = g.command_as("alice");
    cmd.env("GALLEY_USER", "bob").args(approve);
    let err = one_line_refusal(&g.run_cmd(cmd), "GALLEY_USER=bob with bob's key");
    assert!(err.starts_with("error: refusing to act as `bob`"), "{err}");
    assert_eq!(audit_len(g), before);

    // alice approves with her own key; then someone with write access to the file swaps in a
    // genuine signature by bob's key over alice's statement. It verifies as a signature, but
    // not as alice's, so her approval does not count.
    let mine = [
        "--signing-key",
        w.alice.private_str(),
        "review",
        "approve",
        review.as_str(),
        "-m",
        "ok",
    ];
    assert_eq!(json_as(g, "alice", &mine)["verdict"]["allowed"], true);
    let shown = json_as(g, "bob", &["review", "show", &review])["review"].clone();
    let d = &shown["decisions"][0];
    assert_eq!(
        (d["reviewer"].as_str(), d["verified"].as_bool()),
        (Some("alice"), Some(true))
    );
    let forged = ssh_keygen_sign(g, &w.bob, d["statement"].as_str().unwrap());
    replace_decision_signature(g, "alice", &forged);
    let shown = json_as(g, "bob", &["review", "show", &review])["review"].clone();
    assert_eq!(shown["decisions"][0]["verified"], false);
    assert_eq!(shown["decisions"][0]["key"], w.bob.fingerprint.as_str());
    assert_eq!(shown["verdict"]["allowed"], false);
    let expected = format!(
        "alice's approval has a bad signature: signed by a key not registered to alice ({})",
        w.bob.fingerprint
    );
    assert!(
        shown["verdict"]["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == expected.as_str()),
        "{:#}",
        shown["verdict"]
    );
}
