//! Model providers against the loopback stub model server: both wire formats, whole and
//! streamed, retries and their waits, timeouts, errors, the command and echo providers, the
//! rate limit and the cache key.

#[path = "../support/stub_model.rs"]
mod stub_model;

mod faults;
mod local;
mod support;
mod wire;
