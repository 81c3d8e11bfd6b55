//! The delivery API on the real server: bodies per environment, folder names, ETag/304,
//! Cache-Control, cache invalidation on deploy, lists, renders and their 422s, 404s, 413.

mod server_support;

use serde_json::json;
use server_support::*;

#[tokio::test]
async fn each_environment_serves_its_own_version() {
    let g = seeded();
    let key = key(&g, "read:*");
    let server = Server::start(&g, &[]);
    let (status, headers, body) = get(
        &server,
        "/v1/prompts/support/triage?env=production",
        Some(&key),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "support/triage");
    assert_eq!(body["environment"], "production");
    assert_eq!(body["version"], 1);
    assert_eq!(body["type"], "text");
    assert_eq!(body["template"], "Classify: {{ ticket }}");
    assert_eq!(
        body["config"],
        json!({"model": "gpt-4o-mini", "temperature": 0})
    );
    let hash = body["content_hash"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert_eq!(headers["etag"], format!("\"{hash}\"").as_str());
    let vars = body["variables"].as_array().unwrap();
    let ticket = vars.iter().find(|v| v["name"] == "ticket").unwrap();
    assert_eq!(ticket["type"], "string");
    assert_eq!(ticket["required"], true);
    let priority = vars.iter().find(|v| v["name"] == "priority").unwrap();
    assert_eq!(priority["type"], "number");
    assert_eq!(priority["required"], false);

    let (_, _, staging) = get(
        &server,
        "/v1/prompts/support/triage?env=staging",
        Some(&key),
    )
    .await;
    assert_eq!(staging["version"], 2);
    assert_eq!(staging["template"], "Classify carefully: {{ ticket }}");

    let (_, _, chat) = get(
        &server,
        "/v1/prompts/chat/helper?env=production",
        Some(&key),
    )
    .await;
    assert_eq!(chat["type"], "chat");
    assert!(chat.get("template").is_none());
    assert_eq!(
        chat["messages"],
        json!([
            {"role": "system", "content": "You help customers of {{ company }}."},
            {"type": "placeholder", "name": "history"},
            {"role": "user", "content": "{{ question }}"},
        ])
    );
}

#[tokio::test]
async fn folder_names_work_encoded_or_not_and_env_defaults_to_production() {
    let g = seeded();
    let key = key(&g, "read:production");
    let server = Server::start(&g, &[]);
    for path in [
        "/v1/prompts/support/triage?env=production",
        "/v1/prompts/support%2Ftriage?env=production",
        "/v1/prompts/support%2ftriage",
    ] {
        let (status, _, body) = get(&server, path, Some(&key)).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body["name"], "support/triage", "{path}");
        assert_eq!(body["version"], 1, "{path}");
    }
}

#[tokio::test]
async fn etags_answer_304_and_cache_control_is_configurable() {
    let g = seeded();
    let key = key(&g, "read:production");
    let server = Server::start(&g, &["--max-age", "17"]);
    let path = "/v1/prompts/support/triage?env=production";
    let (_, headers, _) = get(&server, path, Some(&key)).await;
    let etag = headers["etag"].to_str().unwrap().to_string();
    assert_eq!(headers["cache-control"], "max-age=17");
    let resp = client()
        .get(server.url(path))
        .bearer_auth(&key.secret)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 304);
    assert_eq!(resp.headers()["etag"].to_str().unwrap(), etag);
    assert!(resp.bytes().await.unwrap().is_empty());
    let (status, _, _) = answer(
        client()
            .get(server.url(path))
            .bearer_auth(&key.secret)
            .header("If-None-Match", "\"something-else\""),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_deployment_shows_on_the_next_request() {
    let g = seeded();
    let key = key(&g, "read:production");
    let server = Server::start(&g, &[]);
    let path = "/v1/prompts/support/triage?env=production";
    let (_, first, body) = get(&server, path, Some(&key)).await;
    assert_eq!(body["version"], 1);
    // Another process deploys version 2 while the server has version 1 cached.
    ok(
        &g,
        &[
            "deploy",
            "support/triage",
            "--version",
            "2",
            "--env",
            "production",
        ],
    );
    let (_, second, body) = get(&server, path, Some(&key)).await;
    assert_eq!(body["version"], 2);
    assert_ne!(first["etag"], second["etag"]);
}

#[tokio::test]
async fn lists_say_what_an_environment_serves() {
    let g = seeded();
    let key = key(&g, "read:*");
    let server = Server::start(&g, &[]);
    let (status, _, body) = get(&server, "/v1/prompts?env=production", Some(&key)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["environment"], "production");
    let names: Vec<(&str, u64)> = body["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["version"].as_u64().unwrap()))
        .collect();
    assert_eq!(names, vec![("chat/helper", 1), ("support/triage", 1)]);
    let (_, _, dev) = get(&server, "/v1/prompts?env=development", Some(&key)).await;
    assert_eq!(dev["prompts"], json!([]));
    let (status, _, body) = get(&server, "/v1/prompts?env=nowhere", Some(&key)).await;
    assert_eq!((status, code(&body)), (404, "not_found"));
}

#[tokio::test]
async fn renders_fill_variables_and_name_what_is_missing_or_mistyped() {
    let g = seeded();
    let key = key(&g, "read:*");
    let server = Server::start(&g, &[]);
    let path = "/v1/prompts/support/triage/render";
    let (status, _, body) = post(
        &server,
        path,
        Some(&key),
        &json!({"env": "staging", "variables": {"ticket": "my card was charged twice"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["text"],
        "Classify carefully: my card was charged twice"
    );
    assert_eq!(body["version"], 2);

    let (status, _, body) = post(
        &server,
        path,
        Some(&key),
        &json!({"version": 1, "variables": {}}),
    )
    .await;
    assert_eq!((status, code(&body)), (422, "missing_variable"));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`ticket`"),
        "{body}"
    );

    let wrong = json!({"variables": {"ticket": "x", "priority": "high"}});
    let (status, _, body) = post(&server, path, Some(&key), &wrong).await;
    assert_eq!((status, code(&body)), (422, "wrong_variable_type"));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("priority"),
        "{body}"
    );

    let chat = json!({"variables": {"company": "Acme", "question": "Hi?",
        "history": [{"role": "assistant", "content": "Hello"}]}});
    let (status, _, body) = post(
        &server,
        "/v1/prompts/chat%2Fhelper/render",
        Some(&key),
        &chat,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["messages"],
        json!([{"role": "system", "content": "You help customers of Acme."},
               {"role": "assistant", "content": "Hello"},
               {"role": "user", "content": "Hi?"}])
    );

    let (status, _, body) = post(
        &server,
        path,
        Some(&key),
        &json!({"env": "staging", "version": 1}),
    )
    .await;
    // Well-formed JSON the server cannot use: 422, as the OpenAPI document says.
    assert_eq!((status, code(&body)), (422, "unprocessable"));
    let (status, _, _) = answer(
        client()
            .post(server.url(path))
            .bearer_auth(&key.secret)
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn unknown_prompts_versions_and_environments_are_404_never_5xx() {
    let g = seeded();
    let key = key(&g, "read:*");
    let server = Server::start(&g, &[]);
    for path in [
        "/v1/prompts/no/such?env=production",
        "/v1/prompts/support/triage?env=nowhere",
        "/v1/prompts/chat/helper?env=staging",
        "/v1/unknown/route",
    ] {
        let (status, _, body) = get(&server, path, Some(&key)).await;
        assert_eq!((status, code(&body)), (404, "not_found"), "{path}: {body}");
    }
    let (status, _, body) = post(
        &server,
        "/v1/prompts/support/triage/render",
        Some(&key),
        &json!({"version": 9, "variables": {"ticket": "x"}}),
    )
    .await;
    assert_eq!((status, code(&body)), (404, "not_found"), "{body}");
}

#[tokio::test]
async fn bodies_over_the_limit_answer_413_in_json() {
    let g = seeded();
    let key = key(&g, "read:*");
    let server = Server::start(&g, &["--body-limit", "1024"]);
    let big = json!({"variables": {"ticket": "x".repeat(4096)}});
    let (status, _, body) = post(
        &server,
        "/v1/prompts/support/triage/render",
        Some(&key),
        &big,
    )
    .await;
    assert_eq!((status, code(&body)), (413, "payload_too_large"), "{body}");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_prompts_by_environment() {
    let g = seeded();
    let key = key(&g, "read:*");
    let server = Server::start(&g, &[]);
    for _ in 0..3 {
        get(
            &server,
            "/v1/prompts/support/triage?env=production",
            Some(&key),
        )
        .await;
    }
    get(&server, "/v1/prompts/nothing?env=production", Some(&key)).await;
    let text = metrics_text(&server).await;
    let ok =
        r#"galley_http_requests_total{method="GET",route="/v1/prompts/{*name}",status="200"} 3"#;
    assert!(text.contains(ok), "{text}");
    assert!(
        text.contains(r#"route="/v1/prompts/{*name}",status="404"} 1"#),
        "{text}"
    );
    assert!(text.contains("# TYPE galley_http_request_duration_seconds histogram"));
    assert!(text.contains(
        r#"galley_http_request_duration_seconds_count{method="GET",route="/v1/prompts/{*name}",status="200"} 3"#
    ));
    assert!(
        text.contains(r#"galley_prompts_served_total{environment="production"} 3"#),
        "{text}"
    );
}
