//! Deployment history rules: what a rollback goes back to.

/// How one deployment came about, as far as rollback is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A deploy or a promote: puts `version` in front of whatever was served.
    Forward(u32),
    /// A rollback: undoes the latest forward step that is still in effect.
    Back,
}

/// Where a rollback of one environment goes, given that environment's deployment history
/// (oldest first): the version served before the latest deployment still in effect.
///
/// Rollbacks undo like a stack: after deploying v1, v2, v3, one rollback serves v2 and a second
/// serves v1 (not v3 again). `None` when nothing was served before the deployment in effect.
pub fn rollback_target(history: impl IntoIterator<Item = Step>) -> Option<u32> {
    let mut stack: Vec<u32> = Vec::new();
    for step in history {
        match step {
            Step::Forward(version) => stack.push(version),
            Step::Back => {
                stack.pop();
            }
        }
    }
    stack.len().checked_sub(2).map(|i| stack[i])
}

#[cfg(test)]
mod tests {
    use super::Step::{Back, Forward};
    use super::*;

    #[test]
    fn rollbacks_undo_like_a_stack() {
        let cases: &[(&[Step], Option<u32>)] = &[
            (&[], None),
            (&[Forward(1)], None),
            (&[Forward(1), Forward(2)], Some(1)),
            (&[Forward(1), Forward(2), Forward(3)], Some(2)),
            // Two rollbacks walk back two steps rather than swapping back and forth.
            (&[Forward(1), Forward(2), Forward(3), Back], Some(1)),
            (&[Forward(1), Forward(2), Forward(3), Back, Back], None),
            // A deploy after a rollback is a new step on top of what was rolled back to.
            (&[Forward(1), Forward(2), Back, Forward(3)], Some(1)),
            // Re-deploying an older version is a step of its own, undone by a rollback.
            (&[Forward(1), Forward(2), Forward(1)], Some(2)),
        ];
        for (history, want) in cases {
            assert_eq!(
                rollback_target(history.iter().copied()),
                *want,
                "{history:?}"
            );
        }
    }
}
