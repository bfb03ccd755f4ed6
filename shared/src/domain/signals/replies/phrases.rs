//! What people (and mail systems) write for each kind of reply, in English,
//! German, French and Spanish, as patterns of `words` (folded: no case, no
//! accents, umlauts as "ae", apostrophes and hyphens split words; `*` ends
//! a prefix, `~` skips up to three words).

mod machines;
mod openings;
mod refusals;

pub(super) use machines::*;
pub(super) use openings::*;
pub(super) use refusals::*;
