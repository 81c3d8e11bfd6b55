//! The sync protocol's requests and answers, shared by the client and the server.
//!
//! - `POST /v1/sync/push` with [`PushRequest`] (at most [`MAX_BATCH`] records, in the order
//!   the client applied them) answers [`PushReply`]: one [`RecordResult`] per record, in order.
//!   A record the server already holds is `duplicate` (re-sending is a no-op).
//! - `GET /v1/sync/pull?after=SEQ&limit=N` answers [`PullReply`]: the records the server applied
//!   after its log position `after`, in its order, with their positions; the client keeps the
//!   last position as its cursor.

use serde::{Deserialize, Serialize};

use super::records::Record;

/// The most records one request carries or one page returns.
pub const MAX_BATCH: usize = 500;

/// A batch of records to push.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    pub records: Vec<Record>,
}

/// What became of each pushed record, and the server's log head after the batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushReply {
    pub results: Vec<RecordResult>,
    pub head: i64,
}

/// What the server did with one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordResult {
    pub id: String,
    pub status: RecordStatus,
    /// The record's position in the server's log (accepted or duplicate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// Why it was refused or put off (rejected or conflict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The fate of one pushed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Stored now.
    Accepted,
    /// The server already had it.
    Duplicate,
    /// Not yet: the server holds something the client has not pulled (another version with
    /// the same number) or lacks something the record needs. Pull, then push again.
    Conflict,
    /// Never: the server's rules refuse it (policy, principal, invalid data).
    Rejected,
}

/// One page of the server's log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullReply {
    pub records: Vec<PulledRecord>,
    /// The server's newest log position.
    pub head: i64,
}

/// A record with its position in the server's log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PulledRecord {
    pub seq: i64,
    pub record: Record,
}

/// The query of a pull.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct PullQuery {
    #[serde(default)]
    pub after: i64,
    #[serde(default)]
    pub limit: Option<usize>,
}

/// A batch of pushed records as the server receives it: each item is read on its own
/// (`Record::from_wire`), so one it cannot read is refused alone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReceivedPush {
    pub records: Vec<serde_json::Value>,
}
