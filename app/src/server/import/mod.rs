//! `server import-original`: copies the original FastAPI app's users, posts and votes into
//! Postboard, keeping ids, owners, dates and vote counts (#18). The source is read in one
//! read-only, repeatable-read transaction; everything is written in one transaction on
//! Postboard's database, so an import that cannot keep its rules (`rules`) stops with nothing
//! written. Running it again adds only what is new: rows whose id is already there are left as
//! they are. A dry run does the same work and rolls it back.

pub mod rules;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection, PgPool};

use crate::error::AppError;
use crate::server::db;
use rules::{SourcePost, SourceUser};

/// The revision of the original app's migrations this importer was written against.
pub const KNOWN_REVISION: &str = "c47ecbf163d4";

/// Rows read and written at a time.
const POST_BATCH: i64 = 5_000;
const VOTE_BATCH: i64 = 50_000;

/// What the operator chose.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Do everything, then roll back: print the report, change nothing.
    pub dry_run: bool,
    /// Accounts whose e-mails differ only in case become one: the oldest, which gets the
    /// others' posts and votes (`--merge-case-duplicates`). Without it, the import stops and
    /// lists them.
    pub merge_case_duplicates: bool,
    /// A post longer than Postboard allows goes on in further posts (`--split-long-posts`).
    /// Without it, the import stops and lists them.
    pub split_long_posts: bool,
}

/// How many rows of each kind were read, written and left.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub users_read: u64,
    pub users_imported: u64,
    pub users_already_there: u64,
    pub users_merged: u64,
    pub posts_read: u64,
    pub posts_imported: u64,
    pub posts_already_there: u64,
    pub continuation_posts: u64,
    pub votes_read: u64,
    pub votes_imported: u64,
    pub votes_already_there: u64,
    pub votes_collapsed: u64,
    pub phone_numbers_left_out: u64,
}

/// A finished import (or dry run): the report's lines and the counts.
#[derive(Debug)]
pub struct Outcome {
    pub report: Vec<String>,
    pub counts: Counts,
    pub elapsed: Duration,
}

/// Why nothing was imported: every problem found, one a line.
#[derive(Debug)]
pub struct Refusal(pub Vec<String>);

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Self(vec![format!("database error: {error:?}")])
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(error: sqlx::Error) -> Self {
        Self(vec![format!("database error: {error}")])
    }
}

/// Imports from `source` (the original app's database) into `target` (Postboard's, migrated).
pub async fn run(
    source: &mut PgConnection,
    target: &PgPool,
    options: Options,
) -> Result<Outcome, Refusal> {
    let started = Instant::now();
    let mut report = Vec::new();
    let mut counts = Counts::default();
    let mut reading = source.begin().await?;
    sqlx::query("set transaction isolation level repeatable read, read only")
        .execute(&mut *reading)
        .await?;
    match db::original::revision(&mut reading).await? {
        Some(revision) if revision == KNOWN_REVISION => {}
        Some(revision) => report.push(format!(
            "the source is at alembic revision {revision}, not {KNOWN_REVISION}: its tables are read as that revision has them"
        )),
        None => report.push(
            "the source has no alembic_version table: its tables are read as revision c47ecbf163d4 has them".to_owned(),
        ),
    }

    // Users first: their rules can refuse the whole import before anything is written.
    let users = db::original::users(&mut reading).await?;
    counts.users_read = users.len() as u64;
    let (accounts, owner_of) = plan_users(&users, options, &mut report, &mut counts)?;

    let mut writing = target.begin().await?;
    check_target(&mut writing, &accounts).await?;
    for chunk in accounts.chunks(10_000) {
        let ids: Vec<i64> = chunk.iter().map(|a| a.id).collect();
        let emails: Vec<String> = chunk.iter().map(|a| a.email.clone()).collect();
        let hashes: Vec<String> = chunk.iter().map(|a| a.password_hash.clone()).collect();
        let dates: Vec<_> = chunk.iter().map(|a| a.created_at).collect();
        counts.users_imported +=
            db::user::import(&mut *writing, &ids, &emails, &hashes, &dates).await?;
    }
    counts.users_already_there = accounts.len() as u64 - counts.users_imported;

    let mut refusals = Vec::new();
    let mut continuations = Vec::new();
    let batch = Batch {
        owner_of: &owner_of,
        options,
    };
    let mut after = 0;
    loop {
        let posts = db::original::posts_after(&mut reading, after, POST_BATCH).await?;
        let Some(last) = posts.last() else { break };
        after = last.id;
        counts.posts_read += posts.len() as u64;
        let written = batch
            .import_posts(
                &mut writing,
                &posts,
                &mut report,
                &mut refusals,
                &mut counts,
            )
            .await?;
        continuations.extend(written);
    }
    if !refusals.is_empty() {
        return Err(Refusal(refusals));
    }
    // After every post of the source, so that their ids come after all of the source's.
    for continuation in &continuations {
        db::post::import_continuation(
            &mut *writing,
            &continuation.row.title,
            &continuation.row.content,
            continuation.published,
            continuation.created_at,
            continuation.owner_id,
        )
        .await?;
        counts.continuation_posts += 1;
    }

    let mut after = (0, 0);
    loop {
        let votes = db::original::votes_after(&mut reading, after, VOTE_BATCH).await?;
        let Some(&last) = votes.last() else { break };
        after = last;
        counts.votes_read += votes.len() as u64;
        // Merged accounts vote as the one they became; a post both voted on counts once.
        let mut seen = HashSet::new();
        let (voters, posts): (Vec<i64>, Vec<i64>) = votes
            .iter()
            .map(|&(user, post)| (owner_of.get(&user).copied().unwrap_or(user), post))
            .filter(|pair| seen.insert(*pair))
            .unzip();
        counts.votes_collapsed += (votes.len() - voters.len()) as u64;
        let imported = db::vote::import(&mut writing, &voters, &posts).await?;
        counts.votes_imported += imported;
        counts.votes_already_there += voters.len() as u64 - imported;
    }
    if counts.votes_collapsed > 0 {
        report.push(format!(
            "{} votes of merged accounts on posts the surviving account had also voted on counted once",
            counts.votes_collapsed
        ));
    }
    if counts.phone_numbers_left_out > 0 {
        report.push(format!(
            "{} phone numbers left out: Postboard has no such field (they stay in the source)",
            counts.phone_numbers_left_out
        ));
    }
    reading.rollback().await?;
    if options.dry_run {
        writing.rollback().await?;
    } else {
        db::move_sequences_past_ids(&mut writing).await?;
        writing.commit().await?;
    }
    Ok(Outcome {
        report,
        counts,
        elapsed: started.elapsed(),
    })
}

/// An account as it will be stored.
struct Account {
    id: i64,
    email: String,
    password_hash: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// The accounts to store, and the merged accounts' ids mapped to the one each became. Refuses
/// when an e-mail cannot be stored, or when e-mails differ only in case and merging was not
/// chosen.
fn plan_users(
    users: &[SourceUser],
    options: Options,
    report: &mut Vec<String>,
    counts: &mut Counts,
) -> Result<(Vec<Account>, HashMap<i64, i64>), Refusal> {
    let mut refusals = Vec::new();
    let mut merged_into = HashMap::new();
    for group in rules::case_duplicates(users) {
        let kept = group[0];
        let others: Vec<String> = group[1..]
            .iter()
            .map(|user| format!("{} ({})", user.id, user.email))
            .collect();
        if options.merge_case_duplicates {
            report.push(format!(
                "users {} merged into user {} ({}), the oldest: their posts and votes are now theirs, and their passwords are gone",
                others.join(", "),
                kept.id,
                kept.email
            ));
            for other in &group[1..] {
                merged_into.insert(other.id, kept.id);
            }
        } else {
            refusals.push(format!(
                "user {} ({}) and users {} have e-mails equal without regard to case, which Postboard treats as one account: run again with --merge-case-duplicates to merge them into the oldest, or change them in the source",
                kept.id,
                kept.email,
                others.join(", ")
            ));
        }
    }
    let mut accounts = Vec::new();
    for user in users {
        if merged_into.contains_key(&user.id) {
            counts.users_merged += 1;
            continue;
        }
        match rules::email(user, report) {
            Ok(email) => {
                if user.phone_number.as_deref().is_some_and(|p| !p.is_empty()) {
                    counts.phone_numbers_left_out += 1;
                }
                let password_hash = rules::password_hash(user, &email, report);
                accounts.push(Account {
                    id: user.id,
                    email,
                    password_hash,
                    created_at: user.created_at,
                });
            }
            Err(refusal) => refusals.push(refusal),
        }
    }
    if refusals.is_empty() {
        Ok((accounts, merged_into))
    } else {
        Err(Refusal(refusals))
    }
}

/// Refuses when Postboard already has an account under one of the ids with another e-mail, or
/// one of the e-mails under another id (accounts made here, not by an earlier import).
async fn check_target(conn: &mut PgConnection, accounts: &[Account]) -> Result<(), Refusal> {
    let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
    let emails: Vec<String> = accounts.iter().map(|a| a.email.to_lowercase()).collect();
    let wanted: HashMap<i64, String> = ids.iter().copied().zip(emails.iter().cloned()).collect();
    let mut refusals = Vec::new();
    for (id, email) in db::user::matching(&mut *conn, &ids, &emails).await? {
        if wanted.get(&id) != Some(&email) {
            refusals.push(format!(
                "Postboard already has user {id} ({email}), which the import would collide with (another e-mail under that id, or that e-mail under another id): import into an empty database"
            ));
        }
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(Refusal(refusals))
    }
}

/// A post that goes on from an imported one whose content was too long.
struct Continuation {
    row: rules::NewRow,
    published: bool,
    created_at: chrono::DateTime<chrono::Utc>,
    owner_id: i64,
}

/// What every batch of posts is written with.
struct Batch<'a> {
    owner_of: &'a HashMap<i64, i64>,
    options: Options,
}

impl Batch<'_> {
    /// Writes one batch of posts: the rules applied, owners mapped through merges. Returns the
    /// continuations of the long posts written now (a second run must not add them again).
    /// Rows over the limits without `--split-long-posts` are collected in `refusals` (the
    /// import then stops, after reading every post).
    async fn import_posts(
        &self,
        conn: &mut PgConnection,
        posts: &[SourcePost],
        report: &mut Vec<String>,
        refusals: &mut Vec<String>,
        counts: &mut Counts,
    ) -> Result<Vec<Continuation>, Refusal> {
        let mut firsts = Vec::with_capacity(posts.len());
        let mut continued = HashMap::new();
        for post in posts {
            match rules::post(post, self.options.split_long_posts, report) {
                Ok(mut rows) => {
                    let first = rows.remove(0);
                    if !rows.is_empty() {
                        continued.insert(post.id, rows);
                    }
                    firsts.push((post, first));
                }
                Err(refusal) => refusals.push(refusal),
            }
        }
        if !refusals.is_empty() {
            return Ok(Vec::new());
        }
        let owner = |post: &SourcePost| {
            self.owner_of
                .get(&post.owner_id)
                .copied()
                .unwrap_or(post.owner_id)
        };
        let inserted = db::post::import(
            &mut *conn,
            &firsts.iter().map(|(p, _)| p.id).collect::<Vec<_>>(),
            &firsts
                .iter()
                .map(|(_, r)| r.title.clone())
                .collect::<Vec<_>>(),
            &firsts
                .iter()
                .map(|(_, r)| r.content.clone())
                .collect::<Vec<_>>(),
            &firsts.iter().map(|(p, _)| p.published).collect::<Vec<_>>(),
            &firsts.iter().map(|(p, _)| p.created_at).collect::<Vec<_>>(),
            &firsts.iter().map(|(p, _)| owner(p)).collect::<Vec<_>>(),
        )
        .await?;
        counts.posts_imported += inserted.len() as u64;
        counts.posts_already_there += (firsts.len() - inserted.len()) as u64;
        let inserted: HashSet<i64> = inserted.into_iter().collect();
        let mut continuations = Vec::new();
        for (post, _) in &firsts {
            if !inserted.contains(&post.id) {
                continue;
            }
            for row in continued.remove(&post.id).unwrap_or_default() {
                continuations.push(Continuation {
                    row,
                    published: post.published,
                    created_at: post.created_at,
                    owner_id: owner(post),
                });
            }
        }
        Ok(continuations)
    }
}
