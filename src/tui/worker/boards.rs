//! The worker's Review and Deploy requests: the review queue and one review, decisions and
//! comments, the deploy board and history, deployment previews and deployments, the badges.

use crate::tui::event::{BoardReply, BoardRequest};
use crate::workspace::{Workspace, WorkspaceError};

pub(super) fn run(ws: &mut Workspace, request: BoardRequest) -> Result<BoardReply, WorkspaceError> {
    Ok(match request {
        BoardRequest::Served => BoardReply::Served(ws.served_versions()?),
        BoardRequest::ReviewQueue => BoardReply::ReviewQueue(Box::new(ws.review_queue()?)),
        BoardRequest::ReviewDetail(id) => BoardReply::ReviewDetail(Box::new(ws.review_detail(id)?)),
        BoardRequest::RequestReview {
            name,
            version,
            env,
            reviewers,
            note,
        } => BoardReply::Requested(Box::new(
            ws.request_review(&name, version, &env, &reviewers, &note)?,
        )),
        BoardRequest::Decide {
            review,
            kind,
            comment,
        } => {
            ws.check_decision(review, kind)?;
            BoardReply::Decided(Box::new(ws.decide(review, kind, &comment)?))
        }
        BoardRequest::Comment {
            review,
            name,
            target,
            body,
        } => {
            let what = if target.reply_to.is_some() {
                "Reply added"
            } else {
                "Comment added"
            };
            ws.add_comment(&name, &target, &body)?;
            BoardReply::Commented { review, what }
        }
        BoardRequest::Resolve { review, comment } => {
            ws.resolve_comment(comment)?;
            BoardReply::Commented {
                review,
                what: "Thread resolved",
            }
        }
        BoardRequest::DeployBoard => BoardReply::DeployBoard(Box::new(ws.deploy_board()?)),
        BoardRequest::DeployHistory(name) => BoardReply::DeployHistory {
            rows: ws.deployments(&name)?,
            name,
        },
        BoardRequest::Preview { name, what, env } => {
            BoardReply::Preview(Box::new(ws.preview_move(&name, &what, &env)?))
        }
        BoardRequest::Apply { name, what, env } => {
            let done = ws.apply_move(&name, &what, &env)?;
            ws.checkpoint_after_deployment(&env);
            BoardReply::Applied(Box::new(done))
        }
        BoardRequest::DiffEnv { name, version, env } => {
            let (served, diff) = ws.diff_against_env(&name, version, &env)?;
            BoardReply::DiffEnv {
                env,
                served,
                version,
                diff: Box::new(diff),
            }
        }
    })
}
