//! Request hygiene, checked before a handler reads anything: a JSON route takes a body whose
//! `Content-Type` is `application/json` (parameters such as `; charset=utf-8` allowed), and every
//! route takes a body as it is (no `Content-Encoding`, or `identity`) or gzip-compressed. Gzip is
//! decoded by `tower_http`'s `RequestDecompressionLayer`, outside the body limit, so the limit
//! counts the decoded size (a gzip bomb is 413). Anything else is 415 `unsupported_media_type`.

use axum::extract::Request;
use axum::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::echo::echo;

use super::error::ApiError;

/// The request encodings every route takes (the `Accept-Encoding` of a 415 for another one).
pub const REQUEST_ENCODINGS: &str = "gzip, identity";

/// 415 for a request body in an encoding the server does not decode; the others pass (gzip is
/// decoded by the layer inside this one).
pub async fn known_encodings(request: Request, next: Next) -> Response {
    match refused_encoding(request.headers()) {
        None => next.run(request).await,
        Some(error) => {
            let mut answer = error.into_response();
            answer
                .headers_mut()
                .insert(ACCEPT_ENCODING, HeaderValue::from_static(REQUEST_ENCODINGS));
            answer
        }
    }
}

fn refused_encoding(headers: &HeaderMap) -> Option<ApiError> {
    let value = headers.get(CONTENT_ENCODING)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    // Exactly the spellings the decompression layer decodes.
    if matches!(value.as_bytes(), b"gzip" | b"identity") {
        return None;
    }
    Some(unsupported(format!(
        "Content-Encoding `{}` is not accepted: send the body as it is (identity) or gzip",
        echo(&text)
    )))
}

/// 415 for a body that a JSON route is sent in another media type. Methods without a body
/// (GET, HEAD, DELETE, ...) pass.
pub async fn json_only(request: Request, next: Next) -> Response {
    let has_body = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH
    );
    match refused_media_type(request.headers()) {
        Some(error) if has_body => error.into_response(),
        _ => next.run(request).await,
    }
}

/// The same check inside a handler, for the wildcard routes whose path decides first whether
/// the request is for them at all (a 405 for another path comes before a 415).
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    refused_media_type(headers).map_or(Ok(()), Err)
}

fn refused_media_type(headers: &HeaderMap) -> Option<ApiError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Some(unsupported(
            "no Content-Type: send JSON (Content-Type: application/json)",
        ));
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let essence = text.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("application/json") {
        return None;
    }
    Some(unsupported(format!(
        "Content-Type `{}` is not accepted: send JSON (Content-Type: application/json)",
        echo(&text)
    )))
}

fn unsupported(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn json_with_parameters_passes_and_other_types_do_not() {
        for ok in ["application/json", "Application/JSON; charset=utf-8"] {
            assert!(refused_media_type(&headers(&[("content-type", ok)])).is_none());
        }
        for bad in [
            "text/plain",
            "application/x-protobuf",
            "application/jsonx",
            "",
        ] {
            let err = refused_media_type(&headers(&[("content-type", bad)])).unwrap();
            assert_eq!(err.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{bad}");
        }
        assert!(refused_media_type(&HeaderMap::new()).is_some());
    }

    #[test]
    fn identity_and_gzip_pass_and_other_encodings_do_not() {
        assert!(refused_encoding(&HeaderMap::new()).is_none());
        for ok in ["gzip", "identity"] {
            assert!(refused_encoding(&headers(&[("content-encoding", ok)])).is_none());
        }
        for bad in ["br", "deflate", "gzip, br", "zstd"] {
            assert!(refused_encoding(&headers(&[("content-encoding", bad)])).is_some());
        }
    }
}
