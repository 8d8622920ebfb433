//! Who is logged in, for every page and component: the current user and the login, logout and
//! sign-up actions, created once by the root component and shared through context. Pages and
//! components reach it with `use_session`, never through `app`, so there is no module cycle.

use leptos::prelude::*;

use crate::api::account::{DeleteAccount, RenameAccount};
use crate::api::auth::{current_user, Login, Logout, Register};
use crate::error::AppError;
use crate::model::User;

/// Who is logged in, and the actions that change it.
#[derive(Clone, Copy)]
pub struct Session {
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
    pub register: ServerAction<Register>,
    /// The account page's actions that change who is shown in the header.
    pub rename: ServerAction<RenameAccount>,
    pub delete_account: ServerAction<DeleteAccount>,
    pub user: Resource<Result<Option<User>, AppError>>,
}

impl Session {
    /// The logged-in user, if known yet.
    pub fn current(&self) -> Option<User> {
        self.user.get().and_then(Result::ok).flatten()
    }

    /// The logged-in user, read without subscribing.
    pub fn current_untracked(&self) -> Option<User> {
        self.user.get_untracked().and_then(Result::ok).flatten()
    }

    /// The logged-in user's id, read without subscribing (for event handlers).
    pub fn user_id_untracked(&self) -> Option<i64> {
        self.user
            .get_untracked()
            .and_then(Result::ok)
            .flatten()
            .map(|user| user.id)
    }
}

/// Creates the session and provides it to everything below; the user is read again whenever
/// one of the actions completes. Called once, by the root component.
pub fn provide_session() -> Session {
    let login = ServerAction::<Login>::new();
    let logout = ServerAction::<Logout>::new();
    let register = ServerAction::<Register>::new();
    let rename = ServerAction::<RenameAccount>::new();
    let delete_account = ServerAction::<DeleteAccount>::new();
    let user = Resource::new(
        move || {
            (
                login.version().get(),
                logout.version().get(),
                register.version().get(),
                rename.version().get(),
                delete_account.version().get(),
            )
        },
        |_| current_user(),
    );
    let session = Session {
        login,
        logout,
        register,
        rename,
        delete_account,
        user,
    };
    provide_context(session);
    session
}

/// The session from context (provided by the root component).
pub fn use_session() -> Session {
    expect_context::<Session>()
}
