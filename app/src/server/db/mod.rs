//! Every SQL statement of Postboard, one module per table. Functions take any executor (pool,
//! connection or transaction) so callers decide what runs in one transaction. Uniqueness and
//! existence are decided by the database and mapped here from the named constraints of
//! `migrations/`, never checked first and inserted later.

pub mod idempotency;
pub mod post;
pub mod token;
pub mod user;
pub mod vote;

/// The name of the constraint a database error violated, if it is a constraint violation.
pub(crate) fn violated_constraint(error: &sqlx::Error) -> Option<&str> {
    match error {
        sqlx::Error::Database(db_error) => db_error.constraint(),
        _ => None,
    }
}
