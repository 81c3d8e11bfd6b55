//! Retries and their waits, timeouts, errors.

use galley::eval::providers::{Provider, ProviderError};
use std::time::{Duration, Instant};

use crate::stub_model::{Fault, StubConfig, StubModel};
use crate::support::*;

#[tokio::test]
async fn rate_limits_are_retried_after_the_wait_the_server_asks() {
    setup();
    let stub =
        StubModel::start(StubConfig::default().with_faults(1, Fault::rate_limited("1"))).await;
    let provider = Provider::new(openai(&stub.base_url())).unwrap();
    let answer = provider.complete(&text_request("patience")).await.unwrap();
    assert_eq!(answer.text, "stub: patience");
    let requests = stub.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    setup();
    let stub = StubModel::start(StubConfig::default().with_faults(2, Fault::ServerError)).await;
    let provider = Provider::new(anthropic(&stub.base_url())).unwrap();
    let answer = provider.complete(&text_request("again")).await.unwrap();
    assert_eq!(answer.text, "stub: again");
    assert_eq!(stub.request_count(), 3);
}

#[tokio::test]
async fn retries_stop_at_max_retries_with_the_last_error() {
    setup();
    let stub = StubModel::start(StubConfig::default().with_faults(5, Fault::ServerError)).await;
    let mut config = openai(&stub.base_url());
    config.max_retries = Some(1);
    let provider = Provider::new(config).unwrap();
    let err = provider.complete(&text_request("x")).await.unwrap_err();
    assert_eq!(
        err,
        ProviderError::Http {
            status: 500,
            message: "The server had an error".into()
        }
    );
    assert_eq!(stub.request_count(), 2);
}

#[tokio::test]
async fn client_errors_are_not_retried_and_carry_the_api_message() {
    setup();
    let stub = StubModel::start(StubConfig::default().with_faults(
        1,
        Fault::status(400, "Invalid value for 'temperature'\nmore detail"),
    ))
    .await;
    let provider = Provider::new(openai(&stub.base_url())).unwrap();
    let err = provider.complete(&text_request("x")).await.unwrap_err();
    assert_eq!(
        err,
        ProviderError::Http {
            status: 400,
            message: "Invalid value for 'temperature'".into()
        }
    );
    assert!(err.to_string().contains("HTTP 400"), "{err}");
    assert_eq!(stub.request_count(), 1);
}

#[tokio::test]
async fn slow_answers_time_out_and_a_retry_can_succeed() {
    setup();
    let stub = StubModel::start(
        StubConfig::default().with_faults(1, Fault::Delay(Duration::from_secs(5))),
    )
    .await;
    let mut config = openai(&stub.base_url());
    config.timeout_secs = Some(1);
    config.max_retries = Some(0);
    let provider = Provider::new(config.clone()).unwrap();
    let started = Instant::now();
    let err = provider.complete(&text_request("x")).await.unwrap_err();
    assert_eq!(err, ProviderError::Timeout { secs: 1 });
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(err.to_string().contains("timeout_secs"));

    stub.push_faults(1, Fault::Delay(Duration::from_secs(5)));
    config.max_retries = Some(1);
    let provider = Provider::new(config).unwrap();
    let answer = provider.complete(&text_request("y")).await.unwrap();
    assert_eq!(answer.text, "stub: y");
}

#[tokio::test]
async fn a_stalled_stream_times_out() {
    setup();
    let stub =
        StubModel::start(StubConfig::default().with_chunk_delay(Duration::from_secs(5))).await;
    let mut config = anthropic(&stub.base_url());
    config.timeout_secs = Some(1);
    config.max_retries = Some(1);
    let provider = Provider::new(config).unwrap();
    let started = Instant::now();
    let (result, deltas) = stream_collect(&provider, &text_request("x")).await;
    assert_eq!(result.unwrap_err(), ProviderError::Timeout { secs: 1 });
    assert!(deltas.is_empty(), "{deltas:?}");
    // Nothing was delivered when it stalled, so it was tried again.
    assert_eq!(stub.request_count(), 2);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn malformed_answers_are_reported_not_retried() {
    setup();
    let stub = StubModel::start(StubConfig::default().with_faults(2, Fault::Malformed)).await;
    let provider = Provider::new(openai(&stub.base_url())).unwrap();
    let err = provider.complete(&text_request("x")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Malformed(_)), "{err:?}");
    let (result, _) = stream_collect(&provider, &text_request("x")).await;
    assert!(
        matches!(result, Err(ProviderError::Malformed(_))),
        "{result:?}"
    );
    assert_eq!(stub.request_count(), 2);
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    setup();
    let stub = StubModel::start(StubConfig::default().with_faults(1, Fault::Drop)).await;
    let provider = Provider::new(openai(&stub.base_url())).unwrap();
    let answer = provider
        .complete(&text_request("still there?"))
        .await
        .unwrap();
    assert_eq!(answer.text, "stub: still there?");
    assert_eq!(stub.request_count(), 2);
}

#[tokio::test]
async fn an_unreachable_server_is_a_connect_error() {
    setup();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = openai(&format!("http://127.0.0.1:{port}/v1"));
    config.max_retries = Some(0);
    let provider = Provider::new(config).unwrap();
    let err = provider.complete(&text_request("x")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Connect(_)), "{err:?}");
    assert!(err.is_retryable());
    let message = err.to_string();
    assert!(
        message.contains("stub-openai") && message.contains("base_url"),
        "{message}"
    );
}

#[tokio::test]
async fn a_stream_retries_before_its_first_delta() {
    setup();
    let stub = StubModel::start(StubConfig::default().with_faults(1, Fault::ServerError)).await;
    let provider = Provider::new(anthropic(&stub.base_url())).unwrap();
    let (answer, deltas) = stream_collect(&provider, &text_request("go")).await;
    assert_eq!(answer.unwrap().text, "stub: go");
    assert_eq!(deltas, ["stub: ", "go"]);
    assert_eq!(stub.request_count(), 2);
}

#[tokio::test]
async fn clones_share_one_provider_across_tasks() {
    setup();
    let stub = StubModel::start(
        StubConfig::answering(|m| m.chars().rev().collect()).with_delay(Duration::from_millis(20)),
    )
    .await;
    let provider = Provider::new(openai(&stub.base_url())).unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let provider = provider.clone();
            tokio::spawn(async move { provider.complete(&text_request(&format!("ab{i}"))).await })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        let answer = task.await.unwrap().unwrap();
        assert_eq!(
            answer.text,
            format!("ab{i}").chars().rev().collect::<String>()
        );
    }
    assert_eq!(stub.request_count(), 20);
}
