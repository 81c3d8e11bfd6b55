//! The OpenAPI document, generated from the handlers' types.

use axum::Router;

use super::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
