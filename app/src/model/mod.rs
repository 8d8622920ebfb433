//! Wire types shared by the WASM UI and the server. Every type here is what a client sees; types
//! that carry a password hash or a token secret live under `server/` and never derive Serialize.

pub mod account;
pub mod field;
pub mod page;
pub mod post;
pub mod timestamp;
pub mod user;
pub mod vote;

pub use account::{AccountDeletion, ActiveSession, NameChange, PasswordChange};
pub use field::{Content, DisplayName, Email, LoginName, Password, Title};
pub use page::{Page, PostQuery, MAX_PAGE_SIZE};
pub use post::{AuthorFeed, NewPost, Post, PostChanges, PostOut};
pub use post::{ValidChanges, ValidPost};
pub use user::{Credentials, Token, User, ValidSignUp};
pub use vote::{VoteDirection, VoteInput, VoteOutcome};
