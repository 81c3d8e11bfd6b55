//! The signing key in the workbench: when a decision or a deployment finds the key file locked,
//! a masked popup asks for its passphrase, which goes to the worker's key source (and nowhere
//! else), and the same request runs again; `unlock-key` asks for it ahead of time.

use crate::tui::components::popup::{Popup, Purpose};
use crate::tui::event::{Effect, Passphrase, Request, RequestId};

use super::App;

impl App {
    /// Gets the signing key ready now (the popup opens if its file needs a passphrase).
    pub(super) fn unlock_key(&mut self) -> Vec<Effect> {
        vec![self.request(Request::Unlock {
            passphrase: None,
            retry: None,
        })]
    }

    /// The key file `path` is locked: ask for its passphrase, in place of the popup that sent
    /// the request (a decision's comment), if any.
    pub(super) fn on_passphrase_needed(
        &mut self,
        id: RequestId,
        path: String,
        retry: Option<Box<Request>>,
    ) -> Vec<Effect> {
        if self.popup_request == Some(id) {
            self.popup_request = None;
        }
        self.popup = Some(Popup::secret(
            &format!("Passphrase for {path}"),
            Purpose::Passphrase { retry },
        ));
        Vec::new()
    }

    /// The passphrase typed: hand it to the worker, which retries the request that needed it.
    pub(super) fn on_submit_passphrase(
        &mut self,
        retry: Option<Box<Request>>,
        passphrase: String,
    ) -> Vec<Effect> {
        self.say("Unlocking the signing key…");
        vec![self.request(Request::Unlock {
            passphrase: Some(Passphrase::new(passphrase)),
            retry,
        })]
    }

    pub(super) fn on_signer_ready(&mut self, key_file: bool) {
        if key_file {
            self.say("Signing key unlocked: your decisions and deployments are signed with it");
        } else {
            self.say("Signing uses the ssh-agent: there is no passphrase to enter here");
        }
    }
}
