//! Colors for text output. Whether to use them is decided once, by the
//! output layer; renderers only ask for a role.

use std::borrow::Cow;

use owo_colors::{OwoColorize, Style};

use crate::model::Hook;

/// What a piece of text is, for coloring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Header,
    Dim,
    Error,
    Warning,
    Good,
    Agent,
    Emphasis,
    /// One of a few colors, to tell sessions apart.
    Session(u8),
}

/// The color decision, passed down to every text renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn paint<'a>(&self, text: &'a str, role: Role) -> Cow<'a, str> {
        if !self.color || text.is_empty() {
            return Cow::Borrowed(text);
        }
        let style = match role {
            Role::Header => Style::new().bold(),
            Role::Dim => Style::new().dimmed(),
            Role::Error => Style::new().red().bold(),
            Role::Warning => Style::new().yellow(),
            Role::Good => Style::new().green(),
            Role::Agent => Style::new().cyan(),
            Role::Emphasis => Style::new().bold(),
            Role::Session(n) => match n % 6 {
                0 => Style::new().cyan(),
                1 => Style::new().magenta(),
                2 => Style::new().yellow(),
                3 => Style::new().green(),
                4 => Style::new().blue(),
                _ => Style::new().bright_red(),
            },
        };
        Cow::Owned(text.style(style).to_string())
    }

    /// The role a hook is shown in.
    pub fn hook_role(hook: &Hook) -> Role {
        match hook {
            Hook::AgentError => Role::Error,
            Hook::BeforeEventHandling | Hook::BeforeAgentRun => Role::Dim,
            Hook::AfterAgentRun | Hook::AfterEventHandling => Role::Good,
            Hook::Other(_) | Hook::Unknown => Role::Warning,
        }
    }
}
