//! Prompt names that cannot be typed back safely (a leading `-`, a name or folder starting with
//! `.`) are refused with the rule wherever a name enters: `galley new`, `galley import` (a
//! file's `name` and a folder path) and the Langfuse API's create, on the real binary and server.

mod server_support;

use serde_json::json;
use server_support::*;

const BAD: &[&str] = &["-rf", ".hidden", "team/.secret", ".a/b"];

fn says_the_rule(text: &str) -> bool {
    text.contains("must not start with `-`") || text.contains("may start with `.`")
}

#[test]
fn new_refuses_names_that_cannot_be_typed_back() {
    let g = seeded();
    for bad in BAD {
        // `--` so that `-rf` reaches the name check instead of being read as a flag.
        let out = g.run(&["new", "--", bad]);
        assert_ne!(out.code, 0, "{bad}: {out:?}");
        assert!(says_the_rule(&out.stderr), "{bad}: {}", out.stderr);
    }
    let list = g.json(&["list"]);
    let text = list.to_string();
    assert!(!text.contains("hidden") && !text.contains("-rf"), "{text}");
    // Names with `-` and `.` inside stay fine.
    g.ok(&["new", "a-b/c.d"]);
}

#[test]
fn import_refuses_such_names_and_writes_nothing_of_the_file() {
    let g = seeded();
    let file = g.write(
        "bad.md",
        "+++\nname = \"team/.secret\"\ntype = \"text\"\n+++\n\n## Task {kind=instructions}\n\nHi.\n",
    );
    let out = g.run(&["import", file.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        says_the_rule(&out.stdout) || says_the_rule(&out.stderr),
        "{out:?}"
    );
    let list = g.json(&["list"]).to_string();
    assert!(!list.contains("secret"), "{list}");
    // A name from a file's path inside a folder goes through the same rule.
    g.write("dir/-x.md", "## Task {kind=instructions}\n\nHi.\n");
    let out = g.run(&["import", g.path("dir").to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(says_the_rule(&out.stdout), "{out:?}");
}

#[tokio::test]
async fn langfuse_create_refuses_such_names() {
    let g = seeded();
    let write = key(&g, "write");
    let server = Server::start(&g, &[]);
    for bad in BAD {
        let body = json!({"name": bad, "prompt": "Hi {{x}}", "labels": []});
        let (status, _, answer) =
            post(&server, "/api/public/v2/prompts", Some(&write), &body).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(says_the_rule(message), "{bad}: {answer}");
    }
    let (status, _, list) = get(&server, "/v1/prompts?env=production", Some(&write)).await;
    assert_eq!(status, 200);
    assert!(!list.to_string().contains("secret"), "{list}");
}
