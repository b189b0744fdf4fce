//! The status line's message: what the app last said, plain or as an error,
//! and what is running. Every text goes through the one masking rule; an
//! error also goes to the activity log. Drawn by `panels::status_bar`.

use crate::ui::widgets::shown;

#[derive(Clone, Debug, Default)]
pub struct Status {
    pub text: String,
    pub is_error: bool,
    /// Something is running (a file dialog, a request).
    pub busy: Option<String>,
}

impl Status {
    pub fn info(&mut self, text: impl Into<String>) {
        self.text = shown(&text.into());
        self.is_error = false;
    }

    /// An error the user sees; it goes to the activity log too.
    pub fn error(&mut self, text: impl Into<String>) {
        self.text = shown(&text.into());
        self.is_error = true;
        tracing::warn!(target: "activity", "shown to the user: {}", self.text);
    }
}

#[cfg(test)]
mod tests {
    use super::Status;

    #[test]
    fn a_message_is_shown_with_its_secrets_masked() {
        let mut status = Status::default();
        status.error("cannot reach http://admin:hunter2secret@proxy.lan:8100");
        assert_eq!(status.text, "cannot reach http://admin:***@proxy.lan:8100");
        status.info("pushed with Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz");
        assert!(!status.text.contains("eyJ"), "{}", status.text);
    }
}
